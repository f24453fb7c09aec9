package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// auditPageSize is how many events a page of the audit trail shows.
const auditPageSize = 100

// auditFields are the audit filter's inputs, in page order.
var auditFields = []string{"who", "action", "since", "until"}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	form := web.AuditFilterForm()
	form.Keep(q, auditFields...)
	page := func(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
		p := s.page(r, "Audit trail", "audit")
		s.render(w, r, status, web.AuditPage(p, web.AuditList{Filter: f, Actions: web.AuditActions()}))
		return nil
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return errInvalid("That page link is broken; start from the newest events.")
		}
		before = n
	}
	f, err := auditFilter(q)
	if err != nil {
		return refuse(err, form, page)
	}
	list := func(ctx context.Context) (*fragment, error) {
		events, err := s.store.ListAuditFiltered(ctx, f, before, auditPageSize+1)
		if err != nil {
			return nil, err
		}
		d := web.AuditList{Filter: form, Actions: web.AuditActions(), Query: auditQuery(q)}
		if len(events) > auditPageSize {
			events = events[:auditPageSize]
			d.Before = events[len(events)-1].ID
		}
		for _, e := range events {
			d.Rows = append(d.Rows, auditRow(e))
		}
		return newFragment(ctx, web.AuditContent(d))
	}
	var content *fragment
	if f == (store.AuditFilter{}) {
		// The unfiltered pages are the ones read over and over: cached
		// until the trail changes.
		content, err = s.views.audit.Get(r.Context(), before, list)
	} else {
		content, err = list(r.Context())
	}
	if err != nil {
		return err
	}
	p := s.page(r, "Audit trail", "audit")
	s.renderFragment(w, r, http.StatusOK, &p, content)
	return nil
}

// auditFilter reads the audit trail's filter from the query.
func auditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("who")), Action: q.Get("action")}
	if f.Action != "" && !web.KnownAuditAction(f.Action) {
		return f, errInvalid("Pick an action from the list.", FieldError{Path: "action", Message: "Pick an action from the list."})
	}
	var err error
	if f.Since, err = filterTime(q.Get("since"), false); err != nil {
		return f, errInvalid("The start date must be a date like 2026-11-30.", FieldError{Path: "since", Message: "Use a date like 2026-11-30."})
	}
	if f.Until, err = filterTime(q.Get("until"), true); err != nil {
		return f, errInvalid("The end date must be a date like 2026-11-30.", FieldError{Path: "until", Message: "Use a date like 2026-11-30."})
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, errInvalid("The start date is after the end date.", FieldError{Path: "since", Message: "Pick a start date before the end date."})
	}
	return f, nil
}

// auditQuery is the filter as a query string, for the next page's link.
func auditQuery(q url.Values) string {
	out := url.Values{}
	for _, k := range auditFields {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out.Encode()
}

// auditRow words one event as a sentence with links: "dora deployed
// php-app #7", the deployment's reason beside it.
func auditRow(e store.AuditEvent) web.AuditRow {
	row := web.AuditRow{At: e.At, IP: e.IP, Action: e.Action}
	actor := web.AuditWord{Text: e.Actor}
	if e.ActorID != 0 {
		actor.Href = userHref(e.ActorID)
	}
	target := web.AuditWord{Text: e.Target}
	if e.TargetID != 0 {
		target.Href = userHref(e.TargetID)
	}
	text := func(s string) web.AuditWord { return web.AuditWord{Text: s} }
	detail := func(k string) string {
		if v, ok := e.Detail[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	dep := func() []web.AuditWord {
		if d := e.Deployment; d != nil {
			return []web.AuditWord{{Text: d.Service}, text(" "), {Text: "#" + strconv.FormatInt(d.ID, 10), Href: deploymentHref(d.ID)}}
		}
		if id := detail("deployment_id"); id != "" {
			return []web.AuditWord{text(e.Target + " #" + id)}
		}
		return []web.AuditWord{target}
	}
	if e.Deployment != nil {
		row.Reason = e.Deployment.Reason
	}
	switch e.Action {
	case "deployment.create":
		row.Words = append([]web.AuditWord{actor, text(" deployed ")}, dep()...)
	case "deployment.rollback":
		row.Words = append([]web.AuditWord{actor, text(" rolled back ")}, dep()...)
		if id, err := strconv.ParseInt(detail("rollback_of"), 10, 64); err == nil {
			row.Words = append(row.Words, text(" to "), web.AuditWord{Text: "#" + strconv.FormatInt(id, 10), Href: deploymentHref(id)})
		}
	case "login.success":
		row.Words = []web.AuditWord{actor, text(" signed in")}
	case "login.failure":
		row.Words = []web.AuditWord{text("A sign-in as "), actor, text(" was refused")}
	case "logout":
		row.Words = []web.AuditWord{actor, text(" signed out")}
	case "password.change":
		row.Words = []web.AuditWord{actor, text(" changed their password")}
	case "password.change_failure":
		row.Words = []web.AuditWord{actor, text(" tried to change their password (refused)")}
	case "token.create", "token.revoke":
		verb := " created"
		if e.Action == "token.revoke" {
			verb = " revoked"
		}
		row.Words = []web.AuditWord{actor, text(verb + " the API token “" + detail("name") + "” of "), target}
	case "user.create":
		row.Words = []web.AuditWord{actor, text(" added the user "), target, text(" (" + detail("role") + ")")}
	case "user.set_role":
		row.Words = []web.AuditWord{actor, text(" made "), target, text(" " + detail("to") + " (was " + detail("from") + ")")}
	case "user.disable":
		row.Words = []web.AuditWord{actor, text(" disabled "), target}
	case "user.enable":
		row.Words = []web.AuditWord{actor, text(" enabled "), target}
	default:
		// An action this page has no words for yet: said plainly.
		row.Words = []web.AuditWord{actor, text(" did " + e.Action)}
		if e.Target != "" {
			row.Words = append(row.Words, text(" to "), target)
		}
	}
	if row.Reason != "" {
		row.Words = append(row.Words, text(":"))
	}
	return row
}

// userHref is a user's page.
func userHref(id int64) templ.SafeURL {
	return templ.SafeURL("/users/" + strconv.FormatInt(id, 10))
}
