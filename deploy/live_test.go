package deploy

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// The Services page names the console's own later deployment that set the
// revision the service runs, and only a revision none of them recorded was
// set outside the console.
func TestRevisionSetByNamesTheConsolesOwnDeployment(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, envOptions{})
	const key = "us-east-1/demo/php-app"
	made := func(arn string, status ecsconsole.DeploymentStatus) int64 {
		d, err := env.store.CreateDeployment(ctx, ecsconsole.NewDeployment{ServiceKey: key, Region: "us-east-1", Cluster: "demo", Service: "php-app",
			Spec: []byte(`{}`), CreatedBy: "bob"}, func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
		check(t, err)
		check(t, env.store.SetDeploymentTaskDefinition(ctx, d.ID, []byte(`{}`), arn))
		check(t, env.store.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: status}))
		return d.ID
	}
	rev := func(n string) string { return "arn:aws:ecs:us-east-1:000000000000:task-definition/php-app:" + n }
	serving := made(rev("1"), ecsconsole.StatusSucceeded)
	failed := made(rev("2"), ecsconsole.StatusInterrupted)
	made(rev("3"), ecsconsole.StatusFailed)

	id, status, err := env.engine.RevisionSetBy(ctx, key, serving, rev("2"))
	if err != nil || id != failed || status != ecsconsole.StatusInterrupted {
		t.Errorf("revision 2 set by #%d (%s, %v), want #%d, interrupted", id, status, err, failed)
	}
	if id, _, err := env.engine.RevisionSetBy(ctx, key, serving, rev("9")); err != nil || id != 0 {
		t.Errorf("a revision no deployment recorded was set by #%d (%v), want none (outside the console)", id, err)
	}
	if id, _, err := env.engine.RevisionSetBy(ctx, key, failed, rev("2")); err != nil || id != 0 {
		t.Errorf("only deployments after the serving one count: got #%d (%v)", id, err)
	}
}
