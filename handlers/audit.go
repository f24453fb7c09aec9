package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/ecsconsole/ecsconsole/web"
)

// auditPageSize is how many events a page of the audit trail shows.
const auditPageSize = 100

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	var before int64
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return errInvalid("That page link is broken; start from the newest events.")
		}
		before = n
	}
	content, err := s.views.audit.Get(r.Context(), before, func(ctx context.Context) (*fragment, error) {
		events, err := s.store.ListAudit(ctx, before, auditPageSize+1)
		if err != nil {
			return nil, err
		}
		var d web.AuditList
		if len(events) > auditPageSize {
			events = events[:auditPageSize]
			d.Before = events[len(events)-1].ID
		}
		for _, e := range events {
			row := web.AuditRow{At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, IP: e.IP}
			if len(e.Detail) > 0 {
				b, _ := json.Marshal(e.Detail)
				row.Detail = string(b)
			}
			d.Rows = append(d.Rows, row)
		}
		return newFragment(ctx, web.AuditContent(d))
	})
	if err != nil {
		return err
	}
	p := s.page(r, "Audit trail", "audit")
	s.renderFragment(w, r, http.StatusOK, &p, content)
	return nil
}
