package sandbox

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestModifyRuleWeights(t *testing.T) {
	f := newStrategyFixture(t, "php:8.4")
	_, err := f.env.ELB.ModifyRule(t.Context(), &elb.ModifyRuleInput{
		RuleArn: aws.String(f.prodRule),
		Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(f.blueTG), Weight: aws.Int32(30)},
			{TargetGroupArn: aws.String(f.greenTG), Weight: aws.Int32(70)},
		}}}},
	})
	if err != nil {
		t.Fatalf("ModifyRule: %v", err)
	}
	if blue, green := f.weights(t, f.prodRule); blue != 30 || green != 70 {
		t.Fatalf("after ModifyRule the weights are %d/%d, want 30/70", blue, green)
	}
	_, err = f.env.ELB.ModifyRule(t.Context(), &elb.ModifyRuleInput{
		RuleArn: aws.String(f.prodRule),
		Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(f.blueTG), Weight: aws.Int32(1000)},
		}}}},
	})
	wantAPIError(t, err, "ValidationError")
	_, err = f.env.ELB.ModifyRule(t.Context(), &elb.ModifyRuleInput{RuleArn: aws.String(f.prodRule + "0")})
	wantAPIError(t, err, "RuleNotFound")
	if blue, green := f.weights(t, f.prodRule); blue != 30 || green != 70 {
		t.Fatalf("a refused ModifyRule changed the weights to %d/%d", blue, green)
	}
}

// awsCLI finds Debian's awscli (or $AWS_CLI); without one the test skips,
// and fails when CI=true.
func awsCLI(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("AWS_CLI"), "/usr/bin/aws"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("aws"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("awscli is missing (apt-get install awscli)")
	}
	t.Skip("awscli is not installed")
	return ""
}

func TestAWSCLIReadsCanaryWeights(t *testing.T) {
	cli := awsCLI(t)
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(5),
		CanaryConfiguration: &types.CanaryConfiguration{CanaryPercent: aws.Float64(10), CanaryBakeTimeInMinutes: aws.Int32(30)}})
	f.deployNew(t)
	advanceUntil(t, f.env, 10*time.Second, time.Hour, "the canary shift", func() bool { return f.greenPercent(t) > 0 })

	home := t.TempDir()
	cmd := exec.CommandContext(t.Context(), cli, "--endpoint-url", f.env.URL, "--output", "json", "elbv2", "describe-rules", "--rule-arns", f.prodRule)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials", "AWS_PAGER=", "HOME="+home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws elbv2 describe-rules: %v\n%s", err, out)
	}
	var rules struct {
		Rules []struct {
			Actions []struct {
				Type          string
				ForwardConfig struct {
					TargetGroups []struct {
						TargetGroupArn string
						Weight         int
					}
				}
			}
		}
	}
	if err := json.Unmarshal(out, &rules); err != nil || len(rules.Rules) != 1 || len(rules.Rules[0].Actions) != 1 {
		t.Fatalf("describe-rules output %s: %v", out, err)
	}
	got := map[string]int{}
	for _, tg := range rules.Rules[0].Actions[0].ForwardConfig.TargetGroups {
		got[tg.TargetGroupArn] = tg.Weight
	}
	if got[f.blueTG] != 90 || got[f.greenTG] != 10 || len(got) != 2 {
		t.Fatalf("awscli reads weights %v, want blue 90 and green 10", got)
	}
}
