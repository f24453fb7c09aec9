package handlers

import (
	"slices"

	"github.com/ecsconsole/ecsconsole/cache"
	"github.com/ecsconsole/ecsconsole/store"
)

// views keeps pages rendered from what they read from the database, by
// page and parameters: the same page asked again, by anyone, is served
// from memory until a console on the database writes one of the tables
// its queries declare they read (store.NewReadCache; store.Store.Follow
// hears every console's writes). A page view then costs no query at all.
// AWS's side of a page has its own short cache (Server.live). Each cache
// holds at most its share of Options.CacheBytes.
type views struct {
	history  *cache.Cache[historyKey, *fragment]
	apiList  *cache.Cache[historyKey, *fragment]
	detail   *cache.Cache[detailKey, detailView]
	services *cache.Cache[servicesKey, *fragment]
	audit    *cache.Cache[int64, *fragment]
}

// DefaultCacheBytes is what the console's caches may hold together unless
// Options.CacheBytes says otherwise: a quarter of the 256 MiB soft memory
// limit the console runs under.
const DefaultCacheBytes = 64 << 20

// cacheShare is cache name's share of Options.CacheBytes, in 64ths.
// The store's credential caches (sessions, tokens) are bounded apart, at
// 4 MiB each; identity holds one value.
func cacheShare(name string) int64 {
	switch name {
	case "detail":
		return 20
	case "history":
		return 16
	case "api-list", "services":
		return 8
	case "audit":
		return 4
	case "layouts", "live":
		return 2
	case "sessions", "clusters":
		return 1
	}
	return 0
}

// CacheNames are the caches Options.Uncached may turn off.
func CacheNames() []string {
	return []string{"history", "api-list", "detail", "services", "audit", "layouts", "sessions", "live", "clusters", "identity"}
}

// budget is cache name's share of o.CacheBytes; 0 when o turns it off.
func (o Options) budget(name string) int64 {
	if slices.Contains(o.Uncached, name) {
		return 0
	}
	total := o.CacheBytes
	if total == 0 {
		total = DefaultCacheBytes
	}
	if name == "identity" {
		return 1 << 10
	}
	return total * cacheShare(name) / 64
}

func newViews(st *store.Store, o Options) *views {
	return &views{
		history: store.NewReadCache(st, store.ReadCacheOptions[historyKey, *fragment]{
			Budget: o.budget("history"), Reads: store.DeploymentReads}),
		apiList: store.NewReadCache(st, store.ReadCacheOptions[historyKey, *fragment]{
			Budget: o.budget("api-list"), Reads: store.DeploymentReads}),
		detail: store.NewReadCache(st, store.ReadCacheOptions[detailKey, detailView]{
			Budget: o.budget("detail"), Reads: store.DeploymentReads | store.StepReads | store.ServiceReads,
			Depends: detailKey.depends}),
		// A Services page also shows AWS's view of each service, read
		// through Server.live: it is kept no longer than that (so AWS's
		// state shows at most 2 × liveTTL late).
		services: store.NewReadCache(st, store.ReadCacheOptions[servicesKey, *fragment]{
			Budget: o.budget("services"), Reads: store.ServiceReads, MaxAge: liveTTL}),
		audit: store.NewReadCache(st, store.ReadCacheOptions[int64, *fragment]{
			Budget: o.budget("audit"), Reads: store.AuditReads}),
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

// depends narrows what a deployment's page depends on by what it showed:
// a finished deployment's steps are written no more (its last step ends
// before it does), so a step write — every few seconds while any
// deployment runs — leaves the pages of finished deployments in memory and
// drops only those of unfinished ones. Writes are told apart by table,
// not row (the notices name tables), so a running deployment's step write
// still drops the pages of every unfinished deployment.
func (detailKey) depends(v detailView) store.Reads {
	if v.finished {
		return store.DeploymentReads | store.ServiceReads
	}
	return store.DeploymentReads | store.StepReads | store.ServiceReads
}

// detailView is a deployment's page rendered (its content, or the live
// part alone), and whether the deployment had finished.
type detailView struct {
	html     *fragment
	finished bool
}

// servicesKey is one page of the Services page, in full or its live part.
type servicesKey struct {
	cursor    string
	canDeploy bool
	liveOnly  bool
}
