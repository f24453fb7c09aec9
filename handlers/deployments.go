package handlers

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

func deploymentRow(d ecsconsole.Deployment) web.DeploymentRow {
	r := web.DeploymentRow{
		ID: d.ID, Service: d.ServiceKey, Name: d.Service, Kind: d.Kind, RollbackOf: d.RollbackOf, Status: string(d.Status),
		CreatedBy: d.CreatedBy, Reason: d.Reason, CreatedAt: d.CreatedAt, Images: d.Images,
		Revision: revisionName(d.TaskDefinitionARN),
	}
	// The URL only while it serves: a failed or rolled-back deployment's
	// address is not where it can be reached.
	if d.Status == ecsconsole.StatusSucceeded || d.Status == ecsconsole.StatusWaitingForDNS {
		r.URL = d.Outputs.URL
	}
	if d.FinishedAt != nil {
		r.Duration = humanDuration(d.FinishedAt.Sub(d.CreatedAt))
	}
	return r
}

// revisionName is a task definition ARN's family:revision.
func revisionName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// humanDuration rounds a duration for people: 42s, 3m05s, 1h12m.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func statusNames() []string {
	names := make([]string, len(deploymentStatuses))
	for i, s := range deploymentStatuses {
		names[i] = string(s)
	}
	return names
}

// historyFields are the history filter's inputs, in the form's order.
var historyFields = []string{"service", "status", "kind", "user", "since", "until"}

// historyQuery is the filter's parameters as typed (without the cursor),
// for the next page and the exports.
func historyQuery(q url.Values) string {
	kept := url.Values{}
	for _, k := range historyFields {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			kept.Set(k, v)
		}
	}
	return kept.Encode()
}

// typedFilter is the filter's inputs as typed, which the page shows back.
func typedFilter(q url.Values) string {
	typed := url.Values{}
	for _, k := range historyFields {
		typed[k] = q[k]
	}
	return typed.Encode()
}

func (s *Server) deploymentsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := web.DeploymentsList{Filter: web.FilterForm(), Statuses: statusNames(), Query: historyQuery(q)}
	d.Filter.Keep(q, historyFields...)
	f, _, err := deploymentFilter(q, s.opts.Region)
	if err != nil {
		return refuse(err, d.Filter, func(w http.ResponseWriter, r *http.Request, status int, filter web.Form) error {
			d.Filter = filter
			s.render(w, r, status, web.DeploymentsPage(s.page(r, "Deployments", "deployments"), d))
			return nil
		})
	}
	me, _ := userFrom(r.Context())
	key := historyKey{filter: f, typed: typedFilter(q), cursor: q.Get("cursor"), limit: 50, canDeploy: me.Role.AtLeast(store.RoleDeployer)}
	content, err := s.views.history.Get(r.Context(), key, func(ctx context.Context) (*fragment, error) {
		list, next, err := s.store.ListDeploymentSummaries(ctx, key.filter, key.cursor, key.limit)
		if err != nil {
			return nil, err
		}
		for _, dep := range list {
			d.Rows = append(d.Rows, deploymentRow(dep))
		}
		d.NextCursor = next
		return newFragment(ctx, web.DeploymentsContent(d, key.canDeploy))
	})
	if errors.Is(err, store.ErrBadCursor) {
		return errInvalid("That page link is broken; start from the newest deployments.")
	}
	if err != nil {
		return err
	}
	p := s.page(r, "Deployments", "deployments")
	s.renderFragment(w, r, http.StatusOK, &p, content)
	return nil
}

// exportRecord is one deployment in the exports.
type exportRecord struct {
	ID         int64      `json:"id"`
	Service    string     `json:"service"`
	Kind       string     `json:"kind"`
	RollbackOf *int64     `json:"rollbackOf"`
	Status     string     `json:"status"`
	Revision   string     `json:"taskDefinitionArn"`
	Images     []string   `json:"images"`
	CreatedBy  string     `json:"createdBy"`
	Reason     string     `json:"reason"`
	CreatedAt  time.Time  `json:"createdAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	Error      string     `json:"error,omitempty"`
}

func exportOf(d ecsconsole.Deployment) exportRecord {
	e := exportRecord{ID: d.ID, Service: d.ServiceKey, Kind: d.Kind, Status: string(d.Status), Revision: d.TaskDefinitionARN,
		Images: d.Images, CreatedBy: d.CreatedBy, Reason: d.Reason, CreatedAt: d.CreatedAt, FinishedAt: d.FinishedAt}
	if d.RollbackOf != 0 {
		e.RollbackOf = &d.RollbackOf
	}
	if e.Images == nil {
		e.Images = []string{}
	}
	if d.ErrorCode != "" || d.ErrorMessage != "" {
		e.Error = strings.TrimPrefix(d.ErrorCode+": "+d.ErrorMessage, ": ")
	}
	return e
}

// exportDeployments streams the filtered history as CSV or JSON, every
// row, newest first, flushing as it goes: memory stays flat however long
// the history is.
func (s *Server) exportDeployments(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, _, err := deploymentFilter(r.URL.Query(), s.opts.Region)
		if err != nil {
			return err
		}
		name := "deployments-" + time.Now().UTC().Format("20060102-150405")
		flusher, _ := w.(http.Flusher)
		n := 0
		flush := func() {
			if n++; n%500 == 0 && flusher != nil {
				flusher.Flush()
			}
		}
		switch format {
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
			cw := csv.NewWriter(w)
			cw.Write([]string{"id", "service", "kind", "rollback_of", "status", "task_definition_arn", "images",
				"created_by", "reason", "created_at", "finished_at", "error"})
			err = s.store.EachDeployment(r.Context(), f, func(d ecsconsole.Deployment) error {
				e := exportOf(d)
				rollbackOf, finished := "", ""
				if e.RollbackOf != nil {
					rollbackOf = strconv.FormatInt(*e.RollbackOf, 10)
				}
				if e.FinishedAt != nil {
					finished = e.FinishedAt.UTC().Format(time.RFC3339)
				}
				cw.Write([]string{strconv.FormatInt(e.ID, 10), e.Service, e.Kind, rollbackOf, e.Status, e.Revision,
					strings.Join(e.Images, " "), csvSafe(e.CreatedBy), csvSafe(e.Reason), e.CreatedAt.UTC().Format(time.RFC3339), finished, csvSafe(e.Error)})
				flush()
				return cw.Error()
			})
			cw.Flush()
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
			w.Write([]byte("[\n"))
			first := true
			err = s.store.EachDeployment(r.Context(), f, func(d ecsconsole.Deployment) error {
				b, err := json.Marshal(exportOf(d))
				if err != nil {
					return err
				}
				if !first {
					w.Write([]byte(",\n"))
				}
				first = false
				_, err = w.Write(b)
				flush()
				return err
			})
			w.Write([]byte("\n]\n"))
		}
		if err != nil {
			// The status line is gone: the truncated file is all we can say.
			s.logger.Warn("export cut short", "request_id", requestID(r.Context()), "rows", n, "error", err.Error())
		}
		return nil
	}
}

// csvSafe keeps a free-text cell from being read as a formula by a
// spreadsheet (CSV injection).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
