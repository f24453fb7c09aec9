package deploy

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// TestOwnerDecidesReuseRefuseOrResume pins claim's judgement of a
// same-named resource found live, from its tags alone, for planning and
// for apply, with the deployments it names kept in memory.
func TestOwnerDecidesReuseRefuseOrResume(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	create := func(serviceKey string) ecsconsole.Deployment {
		d, err := st.CreateDeployment(ctx, ecsconsole.NewDeployment{ServiceKey: serviceKey, Spec: []byte(`{}`)},
			func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
		check(t, err)
		check(t, st.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}))
		return d
	}
	const this, other = "us-east-1/demo/php-app", "us-east-1/demo/other"
	earlier := create(this) // an earlier deployment of this service
	others := create(other) // a deployment of another service
	current := create(this) // the deployment deciding
	id := func(d ecsconsole.Deployment) string { return strconv.FormatInt(d.ID, 10) }
	reuse := decision{Action: ecsconsole.ActionUpdate, Name: "php-app", Reason: "exists"}
	cases := []struct {
		name     string
		planning bool
		tags     map[string]string
		action   string // the decision's action
		code     string // the refusal's code
		words    string // in the reason
		resumed  bool
	}{
		{name: "untagged", tags: nil, action: ecsconsole.ActionRefuse, code: codeNotOwned,
			words: "target group php-app was not made by the console; to use it on purpose, tag it ecsconsole:service=" + this},
		{name: "this service's tag", tags: map[string]string{serviceTagKey: this}, action: ecsconsole.ActionUpdate, words: "exists"},
		{name: "another service's tag", tags: map[string]string{serviceTagKey: other, tagKey: id(others)}, action: ecsconsole.ActionRefuse,
			code: codeOwnedByAnotherService, words: "belongs to service " + other + " (made by deployment #" + id(others) + ")"},
		{name: "deployment tag of this service", tags: map[string]string{tagKey: id(earlier)}, action: ecsconsole.ActionUpdate, words: "exists"},
		{name: "deployment tag of another service", tags: map[string]string{tagKey: id(others)}, action: ecsconsole.ActionRefuse,
			code: codeOwnedByAnotherService, words: "belongs to service " + other},
		{name: "deployment tag the console does not know", tags: map[string]string{tagKey: "999"}, action: ecsconsole.ActionRefuse,
			code: codeNotOwned, words: "was made by console deployment #999, which this console does not know"},
		{name: "made by an earlier attempt of this deployment", tags: map[string]string{tagKey: id(current), serviceTagKey: this},
			action: ecsconsole.ActionCreate, resumed: true, words: "made by an earlier attempt of this deployment"},
		{name: "planning: this deployment's tag is this service's", planning: true,
			tags: map[string]string{tagKey: id(current), serviceTagKey: this}, action: ecsconsole.ActionUpdate, words: "exists"},
	}
	spec := &ecsconsole.Spec{Region: "us-east-1"}
	spec.Cluster.Name, spec.Service.Name = "demo", "php-app"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &stepCtx{e: &Engine{store: st}, spec: spec, d: current, shared: newShared(), planning: c.planning}
			got, err := s.owned(ctx, "target group php-app", c.tags, "name another target group in the spec", result{ARN: "arn:tg"}, reuse)
			check(t, err)
			if got.Action != c.action || got.Code != c.code || got.resumed != c.resumed || !strings.Contains(got.Reason, c.words) {
				t.Fatalf("decision %s %q resumed=%t: %q; want %s %q resumed=%t: …%s…",
					got.Action, got.Code, got.resumed, got.Reason, c.action, c.code, c.resumed, c.words)
			}
			if got.Found.ARN != "arn:tg" {
				t.Errorf("decision carries found %+v, want the live resource", got.Found)
			}
			if c.resumed && !got.alsoUpdate {
				t.Errorf("a resumed resource whose reuse was an update is not updated too")
			}
		})
	}
}
