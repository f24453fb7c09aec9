package handlers

import (
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// views keeps what pages read from the database, by page and parameters:
// the same page asked again, by anyone, is served from memory until a
// console on the database writes one of the tables it was read from
// (store.ReadCache; store.Store.Follow hears every console's writes). A
// page view then costs no query at all. AWS's side of a page has its own
// short cache (Server.live).
type views struct {
	history  *store.ReadCache[historyKey, *fragment]
	apiList  *store.ReadCache[historyKey, *fragment]
	detail   *store.ReadCache[detailKey, detailView]
	services *store.ReadCache[servicesKey, *fragment]
	audit    *store.ReadCache[int64, *fragment]
}

func newViews(st *store.Store) *views {
	return &views{
		history: store.NewReadCache[historyKey, *fragment](st, 256, store.Deployments),
		apiList: store.NewReadCache[historyKey, *fragment](st, 256, store.Deployments),
		detail:  store.NewReadCache[detailKey, detailView](st, 256, store.Deployments, store.DeploymentSteps, store.Services),
		// A Services page also shows AWS's view of each service, read
		// through Server.live: it is kept no longer than that (so AWS's
		// state shows at most 2 × liveTTL late).
		services: store.NewReadCache[servicesKey, *fragment](st, 256, store.Deployments, store.Services).MaxAge(liveTTL),
		audit:    store.NewReadCache[int64, *fragment](st, 256, store.AuditEvents),
	}
}

// historyKey is one page of a filtered history, for a viewer who may
// deploy or not. A page shows its filter's inputs back as they were typed
// (typedFilter): " web" and "web" filter alike but are two pages.
type historyKey struct {
	filter    store.DeploymentFilter
	typed     string
	cursor    string
	limit     int
	canDeploy bool
}

// detailKey is one rendering of a deployment's page.
type detailKey struct {
	id        int64
	canDeploy bool
	liveOnly  bool
}

// detailView is a deployment's page: what it shows, and that rendered
// (the page's content, or the live part alone when liveOnly).
type detailView struct {
	d    web.DeploymentDetail
	html *fragment
}

// servicesKey is one page of the Services page, in full or its live part.
type servicesKey struct {
	cursor    string
	canDeploy bool
	liveOnly  bool
}
