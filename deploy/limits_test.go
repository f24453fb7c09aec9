package deploy

import (
	"errors"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
)

func numbers(n int) []any {
	xs := make([]any, n)
	for i := range xs {
		xs[i] = 1 + i%65535
	}
	return xs
}

func envVars(n int) []any {
	xs := make([]any, n)
	for i := range xs {
		xs[i] = obj{"name": "V" + strings.Repeat("x", i%5), "value": "1"}
	}
	return xs
}

// Runaway lists are refused with their path, not sent to AWS.
func TestArrayBounds(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		edit       edit
	}{
		{"29,999 ingress ports", "service.newSecurityGroup.ingressPorts", set("service.newSecurityGroup.ingressPorts", numbers(29999))},
		{"101 port mappings", web + ".portMappings", set(web+".portMappings", portMappings(101))},
		{"1001 variables", web + ".environment", set(web+".environment", envVars(1001))},
		{"257 arguments", web + ".command", set(web+".command", strings.Split(strings.Repeat("a,", 256)+"a", ","))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(journeyWith(t, tc.edit))
			var ve *ecsconsole.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("accepted (%v)", err)
			}
			for _, p := range ve.Problems {
				if p.Path == tc.path && strings.Contains(p.Message, "at most") {
					return
				}
			}
			t.Fatalf("no bound reported at %s: %v", tc.path, ve.Problems)
		})
	}
	if _, err := Parse(journeyWith(t, set("service.newSecurityGroup.ingressPorts", numbers(maxIngressPorts)))); err != nil {
		t.Errorf("%d ingress ports refused: %v", maxIngressPorts, err)
	}
}

func portMappings(n int) []any {
	xs := make([]any, n)
	for i := range xs {
		xs[i] = obj{"containerPort": 8080 + i}
	}
	return xs
}
