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

type orderedValues struct {
	order  []string
	values map[string]string
}

func (o *orderedValues) set(field, value string) {
	o.order = append(o.order, field)
	o.values[field] = value
}

// formValues are a state's values by form field, as the form shows them.
func formValues(st *wizardState) orderedValues {
	o := orderedValues{values: map[string]string{}}
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	pairs := func(items []draft.NameValue) string {
		var parts []string
		for _, it := range items {
			parts = append(parts, it.Name+"="+it.Value)
		}
		return strings.Join(parts, ", ")
	}
	o.set("family", st.Family)
	o.set("size", st.CPU+"/"+st.Memory)
	o.set("execRole", st.ExecRole)
	o.set("taskRole", st.TaskRole)
	for i, c := range st.Containers {
		p := "c" + strconv.Itoa(i) + "."
		o.set(p+"name", c.Name)
		o.set(p+"image", c.Image)
		o.set(p+"ports", c.Ports)
		o.set(p+"logGroup", c.LogGroup)
		o.set(p+"essential", onOff(c.Essential))
		o.set(p+"env", pairs(c.Env))
		o.set(p+"secrets", pairs(c.Secrets))
		o.set(p+"command", c.Command)
		o.set(p+"health", c.Health)
	}
	o.set("cluster", st.ClusterName())
	o.set("service.name", st.Service)
	o.set("service.desiredCount", st.DesiredCount)
	o.set("subnets", strings.Join(st.Subnets, ", "))
	o.set("publicIp", onOff(st.PublicIP))
	o.set("sgMode", st.SGMode)
	o.set("sgPorts", st.SGPorts)
	o.set("sgName", st.SGName)
	o.set("sgIds", strings.Join(st.SGIDs, ", "))
	o.set("circuitBreaker", onOff(st.CircuitBreaker))
	o.set("rollback", onOff(st.Rollback))
	o.set("minHealthy", st.MinHealthy)
	o.set("maxPercent", st.MaxPercent)
	o.set("lbName", st.LBName)
	o.set("tgName", st.TGName)
	o.set("lbEnabled", onOff(st.LBEnabled))
	o.set("lbSubnets", strings.Join(st.LBSubnets, ", "))
	o.set("target", st.Target)
	o.set("healthPath", st.HealthPath)
	o.set("httpsEnabled", onOff(st.HTTPSEnabled))
	o.set("httpsMode", st.HTTPSMode)
	o.set("domain", st.Domain)
	o.set("certArn", st.CertARN)
	o.set("altNames", st.AltNames)
	o.set("redirect", onOff(st.Redirect))
	o.set("reason", st.Reason)
	return o
}
