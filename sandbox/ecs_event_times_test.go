package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Service events carry the wall-clock time they were recorded at, even
// when the simulated clock runs far ahead (here: the settle is hours of
// simulated time), so that a client can place them in its own timeline.
func TestECSServiceEventsAreStampedWithTheWallClock(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	before := time.Now().Add(-time.Second)
	createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
	env.Server.Clock().Advance(3 * time.Hour)
	svc := settle(t, env, "web")
	after := time.Now().Add(time.Second)
	if len(svc.Events) == 0 {
		t.Fatal("the settled service has no events")
	}
	for _, ev := range svc.Events {
		at := aws.ToTime(ev.CreatedAt)
		if at.Before(before) || at.After(after) {
			t.Errorf("event %q at %s, outside the wall-clock window %s – %s (simulated now %s)",
				aws.ToString(ev.Message), at, before, after, env.Server.Clock().Now())
		}
	}
}
