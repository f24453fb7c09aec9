package handlers

import (
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/livestate"
	"github.com/ecsconsole/ecsconsole/web"
)

func TestDriftNamesWhatChangedOutsideTheConsole(t *testing.T) {
	tg := "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/php-app/0123456789abcdef"
	other := "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/other/0123456789abcdef"
	d := ecsconsole.Deployment{TaskDefinitionARN: "arn:aws:ecs:us-east-1:000000000000:task-definition/php-app:3",
		Outputs: ecsconsole.Outputs{ARNs: map[string]string{"targetGroup": tg}}}
	spec := []byte(`{"service":{"name":"php-app","desiredCount":2},"loadBalancer":{"name":"php-app","targetGroup":{"name":"php-app","containerName":"web","containerPort":8080}}}`)
	same := livestate.Service{Found: true, Desired: 2, Deployments: 1, TaskDefinitionARN: d.TaskDefinitionARN,
		TargetGroupARNs: []string{tg}, LoadBalancerContainer: "web", LoadBalancerContainerPort: 8080}
	text := func(kv []web.KeyValue) string {
		var parts []string
		for _, x := range kv {
			parts = append(parts, x.Key+": "+x.Value)
		}
		return strings.Join(parts, "; ")
	}
	for _, tc := range []struct {
		name string
		edit func(*livestate.Service)
		want string
	}{
		{"none", func(*livestate.Service) {}, ""},
		{"task definition", func(l *livestate.Service) {
			l.TaskDefinitionARN = "arn:aws:ecs:us-east-1:000000000000:task-definition/php-app:4"
		}, "task definition: deployed php-app:3, running php-app:4"},
		{"mid-rollout is not drift", func(l *livestate.Service) {
			l.TaskDefinitionARN, l.Deployments = "arn:aws:ecs:us-east-1:000000000000:task-definition/php-app:4", 2
		}, ""},
		{"desired count", func(l *livestate.Service) { l.Desired = 3 }, "desired count: deployed 2, now 3"},
		{"target group", func(l *livestate.Service) { l.TargetGroupARNs = []string{other} },
			"load balancer: deployed behind target group php-app, now other"},
		{"container port", func(l *livestate.Service) { l.LoadBalancerContainerPort = 80 },
			"load balancer: deployed to web:8080, now web:80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := same
			tc.edit(&live)
			if got := text(drift(d, spec, live)); got != tc.want {
				t.Errorf("drift = %q, want %q", got, tc.want)
			}
		})
	}
}
