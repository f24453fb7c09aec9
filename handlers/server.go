// Package handlers is the console's HTTP layer: routes (all in routes.go),
// middleware, pages and the JSON API. HTTP lives here and nowhere else.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/ecsconsole/ecsconsole/cache"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/livestate"
	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// Options configures the HTTP layer.
type Options struct {
	// BaseURL is the console's public URL; its origin is trusted for
	// cross-origin checks behind a proxy. Optional.
	BaseURL string
	// SecureCookies marks the session cookie Secure (serve over HTTPS).
	SecureCookies bool
	// SessionIdleTimeout ends a session after this long without requests.
	SessionIdleTimeout time.Duration
	// SessionLifetime ends a session this long after sign-in, active or not.
	SessionLifetime time.Duration
	// Sandbox shows the "no real AWS calls" banner.
	Sandbox bool
	// Region is the default AWS region.
	Region string
	// OIDC turns on single sign-on through an OpenID Connect provider
	// (oidc.go); nil for none. Its RedirectURL defaults to BaseURL's
	// /login/oidc/callback.
	OIDC *OIDCOptions
	// DisableLocalSignIn hides the username and password form and refuses
	// its POST, for consoles where everyone signs in through OIDC.
	DisableLocalSignIn bool
	// CacheBytes bounds what the console keeps in memory to serve pages
	// again (views.go shares it out); DefaultCacheBytes when 0.
	CacheBytes int64
	// Uncached names caches (CacheNames) that keep nothing: every request
	// computes afresh, as a benchmark measuring what each one buys wants.
	Uncached []string
}

// Identity answers "who does AWS think we are" (STS GetCallerIdentity).
type Identity func(ctx context.Context) (arn, account string, err error)

// Deps are the HTTP layer's collaborators.
type Deps struct {
	Store *store.Store
	// Sessions overrides where sessions are kept; by default the store's
	// sessions table with a coarse idle clock (store.SessionStore), so that
	// a page view writes nothing.
	Sessions scs.Store
	Assets   *static.Assets
	Logger   *slog.Logger
	Identity Identity // optional
	Engine   *deploy.Engine
	// Catalog lists what exists in AWS for the wizard's pickers (required
	// for the wizard).
	Catalog Catalog
	// Requests hears of every request, for metrics (metrics.go). Optional.
	Requests RequestObserver
}

// Server holds what handlers share.
type Server struct {
	store    *store.Store
	sessions *scs.SessionManager
	quiet    *store.SessionStore // nil when Deps.Sessions replaced it
	assets   *static.Assets
	logger   *slog.Logger
	opts     Options
	identity *identityCache
	engine   *deploy.Engine
	// services reads services' live state from AWS (the Services page,
	// the deployment page's events).
	services *livestate.Reader
	catalog  Catalog
	oidc     *oidcClient     // nil without single sign-on
	requests RequestObserver // nil: requests are not counted
	lookups  *lookups
	views    *views
	layouts  *cache.Cache[layoutKey, *layout] // rendered layouts (fragments.go)
	// live keeps AWS's view of services and the clusters of a region for
	// liveTTL, failures too, so that a page of services refreshed by
	// several people costs one set of AWS reads per service per TTL, and a
	// failing AWS is not asked again on every refresh.
	live     *cache.Cache[string, livestate.Service]
	clusters *cache.Cache[string, []string]

	// schemaCurrent is set once /readyz saw the schema up to date; a running
	// console's schema never goes back, so it is not checked again.
	schemaCurrent atomic.Bool
}

// New returns a Server; Routes gives its handler.
func New(opts Options, deps Deps) *Server {
	if opts.SessionIdleTimeout <= 0 {
		opts.SessionIdleTimeout = 2 * time.Hour
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = 12 * time.Hour
	}
	sm := scs.New()
	sm.Codec = newMemoCodec(opts.budget("sessions"), opts.SessionIdleTimeout)
	if deps.Sessions != nil {
		sm.Store = deps.Sessions
		sm.IdleTimeout = opts.SessionIdleTimeout
	}
	var quiet *store.SessionStore
	if deps.Sessions == nil {
		// The store keeps the idle clock; scs's own would rewrite the
		// session and send its cookie on every request.
		quiet = deps.Store.Sessions(opts.SessionIdleTimeout)
		quiet.UserOf = func(data []byte) int64 {
			_, values, err := sm.Codec.Decode(data)
			if err != nil {
				return 0
			}
			id, _ := values[sessionUserID].(int64)
			return id
		}
		sm.Store = quiet
	}
	sm.Lifetime = opts.SessionLifetime
	sm.Cookie.Name = "ecsconsole_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = opts.SecureCookies
	sm.Cookie.Path = "/"
	srv := &Server{
		store:    deps.Store,
		sessions: sm,
		quiet:    quiet,
		assets:   deps.Assets,
		logger:   deps.Logger,
		opts:     opts,
		identity: newIdentityCache(deps.Identity, time.Minute, opts.budget("identity")),
		engine:   deps.Engine,
		services: livestate.NewReader(deps.Engine.Clients()),
		catalog:  deps.Catalog,
		requests: deps.Requests,
		lookups:  newLookups(deps.Catalog, lookupTTL),
		views:    newViews(deps.Store, opts),
		// A layout follows from its key alone: kept while it is used.
		layouts: cache.New(cache.Options[layoutKey, *layout]{Budget: opts.budget("layouts"), TTL: time.Hour}),
		live: cache.New(cache.Options[string, livestate.Service]{
			Budget: opts.budget("live"), TTL: liveTTL, ErrorTTL: liveTTL}),
		clusters: cache.New(cache.Options[string, []string]{
			Budget: opts.budget("clusters"), TTL: liveTTL, ErrorTTL: liveTTL}),
	}
	if opts.OIDC != nil {
		o := *opts.OIDC
		if o.RedirectURL == "" {
			o.RedirectURL = oidcRedirectURL(opts.BaseURL)
		}
		srv.oidc = newOIDCClient(o)
	}
	// A session that cannot be loaded or saved (the database down) is
	// answered by the one error adapter: 503, not scs's plain 500.
	sm.ErrorFunc = srv.serveError
	return srv
}

// liveTTL is how long the Services page and the deployment page reuse what
// AWS said about a service: short enough to look live (the page refreshes
// every 5 s), long enough that a page of 50 services viewed by several
// people makes one set of reads per service per TTL.
const liveTTL = 5 * time.Second

// page returns the layout props for r's user.
func (s *Server) page(r *http.Request, title, nav string) web.Page {
	p := web.Page{
		Title:   title,
		Nav:     nav,
		Sandbox: s.opts.Sandbox,
		Assets: web.Assets{
			PicoCSS:  s.assets.URL("vendor/pico.min.css"),
			AppCSS:   s.assets.URL("app.css"),
			HTMX:     s.assets.URL("vendor/htmx.min.js"),
			AppJS:    s.assets.URL("app.js"),
			WizardJS: s.assets.URL("wizard.js"),
			Favicon:  s.assets.URL("favicon.svg"),
		},
	}
	if u, ok := userFrom(r.Context()); ok {
		p.Viewer = &web.Viewer{Username: u.Username, Role: string(u.Role)}
	}
	return p
}
