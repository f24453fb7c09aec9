package handlers

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store"
)

// Routes is every route of the console, read top to bottom.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.observeRequests, s.securityHeaders, s.logRequests, s.compress) // observeRequests: metrics.go

	// Public: assets and probes.
	r.Handle(static.Prefix+"*", s.assets)
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)

	r.Group(func(r chi.Router) {
		// Bodies are bounded before anything reads them; query parameters
		// must be text (input.go); no page behind a session is kept in a
		// cache (noStore), so Back never shows a form older than the draft.
		r.Use(limitBody(maxFormBody), s.checkQuery, s.crossOriginProtection, s.prefetchSession, s.sessions.LoadAndSave, s.authenticate, noStore)
		r.NotFound(s.handle(notFound))
		r.MethodNotAllowed(s.handle(methodNotAllowed))

		r.Get("/login", s.handle(s.loginPage))
		// The address's sign-in budget is checked before the body is read.
		r.With(limitBody(maxLoginBody), s.throttleSignIn, s.readForm).Post("/login", s.handle(s.login))
		r.Get("/logout", s.handle(s.logoutPage))
		if s.oidc != nil {
			r.Get("/login/oidc", s.handle(s.oidcStart))
			r.Get("/login/oidc/callback", s.handle(s.oidcCallback))
		}

		// The deploy wizard: anyone signed in may prepare a draft (a viewer
		// cannot deploy it: wizardDeploy checks the role). It reads its own
		// forms (parseWizardForm), so that a field that is not text
		// re-renders its step (422) with everything else kept.
		r.Group(func(r chi.Router) {
			r.Use(s.requireUser)
			r.Get("/deploy", s.handle(s.wizardStart))
			r.Post("/deploy/drafts", s.handle(s.wizardCreate))
			r.Get("/deploy/drafts/{draft}/spec.json", s.handle(s.wizardSpecJSON))
			r.Post("/deploy/drafts/{draft}/discard", s.handle(s.wizardDiscard))
			r.Get("/deploy/drafts/{draft}/{step}", s.handle(s.wizardStep))
			r.Post("/deploy/drafts/{draft}/{step}", s.handle(s.wizardSave))
		})

		// Everything else needs a session or a token; forms are read only then.
		r.Group(func(r chi.Router) {
			r.Use(s.requireUser, s.readForm)
			r.Post("/logout", s.handle(s.logout))
			r.Get("/", s.handle(s.dashboard))
			r.Get("/account", s.handle(s.accountPage))
			// A token cannot change its user's password or make more tokens.
			r.With(s.requireSession).Post("/account/password", s.handle(s.changePassword))
			r.With(s.requireSession).Post("/account/tokens", s.handle(s.createToken(s.selfTokenOwner())))
			r.Post("/account/tokens/{token}/revoke", s.handle(s.revokeToken(s.selfTokenOwner())))

			// Deployments: viewers read the history, deployers deploy and roll back.
			r.Get("/deployments", s.handle(s.deploymentsPage))
			r.Get("/deployments.csv", s.handle(s.exportDeployments("csv")))
			r.Get("/deployments.json", s.handle(s.exportDeployments("json")))
			r.Get("/deployments/{id}", s.handle(s.deploymentPage))
			r.Get("/deployments/{id}/events", s.handle(s.deploymentEvents))
			r.Get("/deployments/{id}/spec.json", s.handle(s.deploymentDocument("spec")))
			r.Get("/deployments/{id}/task-definition.json", s.handle(s.deploymentDocument("task-definition")))
			r.Get("/deployments/{id}/diff", s.handle(s.diffWith))
			// "Deploy a change": viewers may look and preview; changeSubmit
			// lets only deployers deploy.
			r.Get("/deployments/{id}/change", s.handle(s.changePage))
			r.Post("/deployments/{id}/change", s.handle(s.changeSubmit))
			r.Get("/deployments/{a}/diff/{b}", s.handle(s.diffPage))
			r.Get("/services", s.handle(s.servicesPage))
			// Freezes (freeze.go): viewers see them, deployers freeze and unfreeze.
			r.Get("/services/{region}/{cluster}/{name}/freeze", s.handle(s.freezePage))

			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(store.RoleDeployer))
				r.Get("/deployments/{id}/rollback", s.handle(s.rollbackCheck))
				r.Post("/deployments/{id}/rollback", s.handle(s.rollbackForm))
				r.Post("/services/{region}/{cluster}/{name}/freeze", s.handle(s.freezeForm))
				r.Post("/services/{region}/{cluster}/{name}/unfreeze", s.handle(s.unfreezeForm))
			})

			// The JSON API: viewers read, deployers change.
			r.Route("/api/v1", func(r chi.Router) {
				r.NotFound(s.handle(notFound)) // a mounted router keeps its own
				r.MethodNotAllowed(s.handle(methodNotAllowed))
				r.Get("/me", s.handle(s.apiMe))
				r.Get("/deployments", s.handle(s.apiListDeployments))
				r.Get("/deployments/{id}", s.handle(s.apiDeployment))
				r.Get("/deployments/{a}/diff/{b}", s.handle(s.apiDiff))
				r.Get("/subnets", s.handle(s.apiSubnets))
				r.Get("/services/{region}/{cluster}/{name}/freeze", s.handle(s.apiFreeze))
				r.Group(func(r chi.Router) {
					r.Use(s.requireRole(store.RoleDeployer))
					r.Post("/plan", s.handle(s.apiPlan))
					r.Post("/deployments", s.handle(s.apiCreateDeployment))
					r.Post("/deployments/{id}/rollback", s.handle(s.apiRollback))
					r.Post("/services/{region}/{cluster}/{name}/freeze", s.handle(s.apiFreezeService))
					r.Delete("/services/{region}/{cluster}/{name}/freeze", s.handle(s.apiUnfreezeService))
					r.Post("/services/{region}/{cluster}/{name}/unfreeze", s.handle(s.apiUnfreezeService))
				})
				// Webhooks (notifications.go): admins only.
				r.Group(func(r chi.Router) {
					r.Use(s.requireRole(store.RoleAdmin))
					r.Get("/webhooks", s.handle(s.apiWebhooks))
					r.Post("/webhooks", s.handle(s.apiCreateWebhook))
					r.Get("/webhooks/{id}", s.handle(s.apiWebhook))
					r.Delete("/webhooks/{id}", s.handle(s.apiDeleteWebhook))
					r.Post("/webhooks/{id}/test", s.handle(s.apiTestWebhook))
				})
			})

			// Admins manage users and their tokens, and read the audit trail.
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(store.RoleAdmin))
				r.Get("/audit", s.handle(s.auditPage))
				r.Get("/users", s.handle(s.usersPage))
				r.Post("/users", s.handle(s.createUser))
				r.Get("/users/{id}", s.handle(s.userPage))
				r.Post("/users/{id}/role", s.handle(s.changeUser("user.set_role", s.setRole)))
				r.Post("/users/{id}/disable", s.handle(s.changeUser("user.disable", s.disableUser)))
				r.Post("/users/{id}/enable", s.handle(s.changeUser("user.enable", s.enableUser)))
				r.With(s.requireSession).Post("/users/{id}/tokens", s.handle(s.createToken(s.adminTokenOwner())))
				r.Post("/users/{id}/tokens/{token}/revoke", s.handle(s.revokeToken(s.adminTokenOwner())))
				// Webhooks (notifications.go).
				r.Get("/notifications", s.handle(s.notificationsPage))
				r.Post("/notifications", s.handle(s.createWebhookForm))
				r.Get("/notifications/{id}", s.handle(s.webhookPage))
				r.Post("/notifications/{id}/test", s.handle(s.testWebhookForm))
				r.Post("/notifications/{id}/delete", s.handle(s.deleteWebhookForm))
			})
		})
	})
	return r
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return errNotFound("There is nothing at this address.")
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	return kindMethod.err("This address does not accept " + r.Method + ".")
}

// crossOriginProtection refuses unsafe cross-origin requests (CSRF) with
// Go's http.CrossOriginProtection, answering with our 403.
func (s *Server) crossOriginProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.opts.BaseURL); err == nil && u.Host != "" {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			s.logger.Warn("base URL is not a valid origin; not trusting it for cross-origin checks", "base_url", s.opts.BaseURL, "error", err.Error())
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveError(w, r, errForbidden("This request came from another site and was refused."))
	}))
	return cop.Handler(next)
}
