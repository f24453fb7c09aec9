package handlers

// A stale form: one rendered before the draft's last save (the browser's
// Back, a page restored from the back/forward cache, a second tab). Its
// submit is refused (409) with the saved values shown and the fields
// where the two differ named, so nothing typed or saved is lost silently.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ecsconsole/ecsconsole/draft"
	"github.com/ecsconsole/ecsconsole/store"
)

// staleForm refuses a form posted with a version other than the draft's:
// it reports true when it wrote the refusal.
func (s *Server) staleForm(w http.ResponseWriter, r *http.Request, d store.Draft, st *wizardState, step string) (bool, error) {
	posted := r.PostFormValue("version")
	if posted == "" {
		return false, nil // a form from before versions, or a script: saved as before
	}
	v, err := strconv.ParseInt(posted, 10, 64)
	if err == nil && v == d.Version {
		return false, nil
	}
	return true, s.renderStale(w, r, d, st, step)
}

// renderStale shows step with the saved state st (of draft d at its
// current version) and names what the posted form would have changed.
func (s *Server) renderStale(w http.ResponseWriter, r *http.Request, d store.Draft, st *wizardState, step string) error {
	typed, err := draft.Decode(st.Encode())
	if err != nil {
		return err
	}
	switch step {
	case "taskdef":
		readTaskDefFields(r.PostForm, typed, "")
	case "cluster":
		readClusterForm(r, typed)
	case "service":
		readServiceForm(r, typed)
	case "loadbalancer":
		readLoadBalancerForm(r, typed)
	case "https":
		readHTTPSForm(r, typed)
	case "review":
		typed.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	}
	msg := "This draft was saved after this page was shown (in another tab, or before you went Back), so your submit was refused and nothing was overwritten. The form now shows the saved values."
	if diffs := formDifferences(st, typed); len(diffs) > 0 {
		msg += " What you sent differs in: " + strings.Join(diffs, "; ") + ". Type those again and submit to keep them."
	} else {
		msg += " What you sent is the same as the saved values."
	}
	v := s.wizardView(r, d, st, step)
	v.Error = msg
	return s.renderWizard(w, r, http.StatusConflict, v)
}

// loadStale re-reads the draft after a save lost a race with another and
// refuses the form like staleForm.
func (s *Server) loadStale(w http.ResponseWriter, r *http.Request, step string) error {
	d, st, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if d.Deployed() {
		return s.renderStep(w, r, http.StatusConflict, d, st, step, nil, "")
	}
	return s.renderStale(w, r, d, st, step)
}

// formDifferences names the fields whose values differ between two states,
// in form order, with both values.
func formDifferences(saved, typed *wizardState) []string {
	a, b := formValues(saved), formValues(typed)
	var out []string
	for _, f := range a.order {
		if a.values[f] != b.values[f] {
			out = append(out, fmt.Sprintf("%s (you sent %s, saved: %s)", fieldLabel(f), shown(b.values[f]), shown(a.values[f])))
		}
	}
	for _, f := range b.order {
		if _, ok := a.values[f]; !ok {
			out = append(out, fmt.Sprintf("%s (you sent %s, saved: none)", fieldLabel(f), shown(b.values[f])))
		}
	}
	return out
}

func shown(v string) string {
	if v == "" {
		return "nothing"
	}
	if len(v) > 80 {
		v = v[:77] + "…"
	}
	return strconv.Quote(v)
}
