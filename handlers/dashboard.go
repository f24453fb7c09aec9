package handlers

import (
	"net/http"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	d := web.Dashboard{Region: s.opts.Region}
	arn, account, err := s.identity.get(r.Context())
	switch {
	case err != nil:
		s.logger.Warn("reading AWS identity", "request_id", requestID(r.Context()), "error", err.Error())
		d.IdentityErr = "AWS did not say who the console acts as: check its credentials (the log has the details, request " + requestID(r.Context()) + ")."
	case arn == "":
		d.IdentityErr = "Not configured."
	default:
		d.Identity, d.Account = arn, account
	}
	recent, _, err := s.store.ListDeployments(r.Context(), store.DeploymentFilter{}, "", 10)
	if err != nil {
		return err
	}
	for _, dep := range recent {
		d.Recent = append(d.Recent, deploymentRow(dep))
	}
	me, _ := userFrom(r.Context())
	drafts, err := s.store.ListDrafts(r.Context(), me.ID)
	if err != nil {
		return err
	}
	for _, dr := range drafts {
		d.Drafts = append(d.Drafts, draftRow(dr))
	}
	s.render(w, r, http.StatusOK, web.DashboardPage(s.page(r, "Overview", "home"), d))
	return nil
}
