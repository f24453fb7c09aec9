package deploy

import (
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole"
)

// FuzzParse checks that Parse never panics, that every rejection is a
// *ValidationError with located problems, and that every accepted spec
// re-validates clean, survives a JSON round trip unchanged and satisfies the
// Fargate rules AWS enforces at registration.
func FuzzParse(f *testing.F) {
	f.Add(readTestdata(f, "spec-journey.json"))
	f.Add(journeyWith(f, set("taskDefinition", describeDoc(f))))
	f.Add(journeyWith(f, del("loadBalancer"), set(td+".cpu", "0.25 vCPU"), set(td+".memory", "0.5 GB")))
	f.Add(journeyWith(f, del("loadBalancer.https.requestDomain"), set("loadBalancer.https.certificateArn", "arn:aws:acm:us-east-1:000000000000:certificate/0a1b")))
	// Small seeds keep mutation and minimization fast.
	f.Add([]byte(`{"cluster":{"name":"c"},"service":{"name":"s","desiredCount":1,"subnets":["subnet-1"],"securityGroupIds":["sg-1"]},` +
		`"taskDefinition":{"family":"f","networkMode":"awsvpc","cpu":"256","memory":"512","containerDefinitions":[{"name":"w","image":"nginx","portMappings":[{"containerPort":80}]}]}}`))
	f.Add([]byte(`{"service":{"subnets":["subnet-1" "subnet-2"]}}`))
	f.Add([]byte(`{"taskDefinition":{"taskDefinition":{"family":"x"},"tags":[]}}`))
	f.Fuzz(checkParseProperties)
}

// checkParseProperties is FuzzParse's property check for one input.
func checkParseProperties(t *testing.T, data []byte) {
	{
		spec, err := Parse(data)
		if err != nil {
			var ve *ecsconsole.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Parse error %v (%T) is not a *ValidationError with problems", err, err)
			}
			for _, p := range ve.Problems {
				if p.Message == "" {
					t.Fatalf("problem at %q has no message", p.Path)
				}
			}
			return
		}
		if err := Validate(spec); err != nil {
			t.Fatalf("accepted spec fails Validate: %v", err)
		}
		again, err := Parse(spec.JSON())
		if err != nil {
			t.Fatalf("Parse(JSON()) of an accepted spec: %v\n%s", err, spec.JSON())
		}
		if !reflect.DeepEqual(spec, again) {
			t.Fatalf("round trip changed the spec:\n%s\n%s", spec.JSON(), again.JSON())
		}
		if d := Diff(spec, again); len(d) != 0 {
			t.Fatalf("Diff of a spec with its round trip = %+v", d)
		}
		tdef, err := TaskDefinitionInput(spec)
		if err != nil {
			t.Fatalf("accepted task definition does not decode strictly: %v", err)
		}
		if len(spec.TaskDefinition) > ecsconsole.MaxTaskDefinitionBytes {
			t.Fatalf("accepted task definition is %d bytes", len(spec.TaskDefinition))
		}
		checkRegistrable(t, tdef)
	}
}

// checkRegistrable restates AWS's RegisterTaskDefinition rules for Fargate
// independently of validate.go's code.
func checkRegistrable(t *testing.T, tdef *ecs.RegisterTaskDefinitionInput) {
	t.Helper()
	if tdef.NetworkMode != types.NetworkModeAwsvpc {
		t.Fatalf("accepted network mode %q", tdef.NetworkMode)
	}
	cpu, cpuOK := parseTaskSize(deref(tdef.Cpu), "vcpu")
	memory, memOK := parseTaskSize(deref(tdef.Memory), "gb")
	if !cpuOK || !memOK || !fargateAllows(cpu, memory) {
		t.Fatalf("accepted Fargate size cpu %q memory %q", deref(tdef.Cpu), deref(tdef.Memory))
	}
	if n := len(tdef.ContainerDefinitions); n < 1 || n > 10 {
		t.Fatalf("accepted %d containers", n)
	}
	for _, c := range tdef.ContainerDefinitions {
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver == types.LogDriverAwslogs && deref(tdef.ExecutionRoleArn) == "" {
			t.Fatalf("accepted awslogs without an execution role")
		}
		for _, pm := range c.PortMappings {
			if pm.ContainerPort == nil || *pm.ContainerPort < 1 || *pm.ContainerPort > 65535 {
				t.Fatalf("accepted container port %v", pm.ContainerPort)
			}
			if pm.HostPort != nil && *pm.HostPort != *pm.ContainerPort {
				t.Fatalf("accepted hostPort %d for containerPort %d with awsvpc", *pm.HostPort, *pm.ContainerPort)
			}
		}
	}
}

// fargateAllows is the Fargate cpu/memory table (docs/aws-api.md §3.5).
func fargateAllows(cpu, memory int) bool {
	gib := func(from, to, step int) bool { return memory >= from && memory <= to && memory%step == 0 }
	switch cpu {
	case 256:
		return memory == 512 || memory == 1024 || memory == 2048
	case 512:
		return gib(1024, 4096, 1024)
	case 1024:
		return gib(2048, 8192, 1024)
	case 2048:
		return gib(4096, 16384, 1024)
	case 4096:
		return gib(8192, 30720, 1024)
	case 8192:
		return gib(16384, 61440, 4096)
	case 16384:
		return gib(32768, 122880, 8192)
	}
	return false
}
