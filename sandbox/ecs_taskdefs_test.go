package sandbox

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

func TestECSRegisterTaskDefinitionShape(t *testing.T) {
	env := newTestEnv(t)
	in := fargateTaskDef("web", "php:8.3-apache")
	in.Cpu = aws.String(".25 vCPU")
	in.Memory = aws.String("0.5GB")
	in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	out, err := env.ECS.RegisterTaskDefinition(t.Context(), in)
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	td := out.TaskDefinition
	checks := map[string][2]any{
		"arn":       {aws.ToString(td.TaskDefinitionArn), "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"},
		"revision":  {td.Revision, int32(1)},
		"status":    {td.Status, types.TaskDefinitionStatusActive},
		"cpu":       {aws.ToString(td.Cpu), "256"},
		"memory":    {aws.ToString(td.Memory), "512"},
		"hostPort":  {aws.ToInt32(td.ContainerDefinitions[0].PortMappings[0].HostPort), int32(8080)},
		"protocol":  {td.ContainerDefinitions[0].PortMappings[0].Protocol, types.TransportProtocolTcp},
		"essential": {aws.ToBool(td.ContainerDefinitions[0].Essential), true},
		"compat":    {fmt.Sprint(td.Compatibilities), "[EC2 FARGATE]"},
		"tags":      {len(out.Tags), 1},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if td.RegisteredAt == nil || td.RegisteredBy == nil {
		t.Errorf("registeredAt/registeredBy missing: %v %v", td.RegisteredAt, td.RegisteredBy)
	}

	second := registerTD(t, env, fargateTaskDef("web", "php:8.4-apache"))
	if !strings.HasSuffix(second, "task-definition/web:2") {
		t.Errorf("second revision ARN = %s", second)
	}
	desc, err := env.ECS.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:1"), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatalf("DescribeTaskDefinition: %v", err)
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.TaskDefinition.ContainerDefinitions[0].Image) != "php:8.3-apache" {
		t.Errorf("DescribeTaskDefinition web:1 = image %s, tags %v", aws.ToString(desc.TaskDefinition.ContainerDefinitions[0].Image), desc.Tags)
	}
	latest, err := env.ECS.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")})
	if err != nil || latest.TaskDefinition.Revision != 2 || latest.Tags != nil {
		t.Errorf("DescribeTaskDefinition web = %+v, %v; want revision 2 without tags", latest, err)
	}
}

func TestECSRegisterTaskDefinitionValidation(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		name    string
		mutate  func(in *ecs.RegisterTaskDefinitionInput)
		message string
	}{
		{"fargate size not in table", func(in *ecs.RegisterTaskDefinitionInput) { in.Memory = aws.String("4096") },
			"No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values."},
		{"fargate cpu unknown", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu = aws.String("300") },
			"No Fargate configuration exists for given values: 300 CPU, 512 memory."},
		{"fargate without cpu", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu = nil },
			"Fargate requires that 'cpu' be defined at the task level."},
		{"fargate bridge mode", func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = types.NetworkModeBridge },
			"Fargate only supports network mode ‘awsvpc’."},
		{"fargate default network mode", func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = "" },
			"Fargate only supports network mode ‘awsvpc’."},
		{"awslogs without execution role", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ExecutionRoleArn = nil
			in.ContainerDefinitions[0].LogConfiguration = awslogsConfig("/ecs/web", "")
		}, "Fargate requires task definition to have execution role ARN to support log driver awslogs."},
		{"awslogs without stream prefix", func(in *ecs.RegisterTaskDefinitionInput) {
			lc := awslogsConfig("/ecs/web", "")
			delete(lc.Options, "awslogs-stream-prefix")
			in.ContainerDefinitions[0].LogConfiguration = lc
		}, "awslogs-stream-prefix"},
		{"bad family", func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String("web app") },
			"Family contains invalid characters."},
		{"family too long", func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String(strings.Repeat("f", 256)) },
			"Family contains invalid characters."},
		{"bad container name", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Name = aws.String("app!") },
			"Container.name contains invalid characters."},
		{"container port zero", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].PortMappings[0].ContainerPort = aws.Int32(0)
		}, "Invalid 'containerPort' setting for container 'app'."},
		{"container port too high", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].PortMappings[0].ContainerPort = aws.Int32(65536)
		}, "Invalid 'containerPort' setting for container 'app'."},
		{"awsvpc host port differs", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(80)
		}, "When networkMode=awsvpc, the host ports and container ports in port mappings must match."},
		{"container memory above task", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Memory = aws.Int32(1024)
		}, "The 'memory' setting for container 'app' is greater than for the task."},
		{"image too long", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Image = aws.String(strings.Repeat("i", 256))
		}, "Container.image should be 255 characters or less"},
		{"image with a space", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Image = aws.String("php 8")
		}, "Container.image contains invalid characters."},
		{"image with a bad digest", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Image = aws.String("php@sha256:abc")
		}, "Container.image contains invalid characters."},
		{"too many containers", func(in *ecs.RegisterTaskDefinitionInput) {
			for i := range 10 {
				in.ContainerDefinitions = append(in.ContainerDefinitions, types.ContainerDefinition{Name: aws.String(fmt.Sprintf("side%d", i)), Image: aws.String("busybox")})
			}
		}, "Too many containers."},
		{"fargate ipcMode", func(in *ecs.RegisterTaskDefinitionInput) { in.IpcMode = types.IpcModeHost },
			"Tasks using the Fargate launch type do not support ipcMode."},
		{"health check interval", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].HealthCheck = &types.HealthCheck{Command: []string{"CMD", "true"}, Interval: aws.Int32(1)}
		}, "interval"},
		{"invalid role", func(in *ecs.RegisterTaskDefinitionInput) { in.ExecutionRoleArn = aws.String("ecsTaskExecutionRole") },
			"Role is not valid"},
		{"ec2 container without memory", func(in *ecs.RegisterTaskDefinitionInput) {
			in.RequiresCompatibilities = nil
			in.Memory = nil
		}, "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fargateTaskDef("web", "nginx")
			tc.mutate(in)
			_, err := env.ECS.RegisterTaskDefinition(t.Context(), in)
			wantAPIError(t, err, "ClientException")
			if msg := errorMessage(err); !strings.Contains(msg, tc.message) {
				t.Errorf("message %q does not contain %q", msg, tc.message)
			}
		})
	}
}

// awslogsConfig is an awslogs log configuration for group; createGroup, if
// set, becomes awslogs-create-group.
func awslogsConfig(group, createGroup string) *types.LogConfiguration {
	opts := map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}
	if createGroup != "" {
		opts["awslogs-create-group"] = createGroup
	}
	return &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: opts}
}

// errorMessage is the AWS error message of err.
func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return err.Error()
}

func TestECSListTaskDefinitionsPaginates(t *testing.T) {
	env := newTestEnv(t)
	for range 25 {
		registerTD(t, env, fargateTaskDef("web", "nginx"))
	}
	registerTD(t, env, fargateTaskDef("api", "nginx"))
	if _, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:3")}); err != nil {
		t.Fatalf("DeregisterTaskDefinition: %v", err)
	}

	var arns []string
	pages := 0
	p := ecs.NewListTaskDefinitionsPaginator(env.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web"), MaxResults: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListTaskDefinitions: %v", err)
		}
		pages++
		arns = append(arns, out.TaskDefinitionArns...)
	}
	if pages != 3 || len(arns) != 24 {
		t.Fatalf("got %d ARNs in %d pages, want 24 ACTIVE web revisions in 3 pages", len(arns), pages)
	}
	if !strings.HasSuffix(arns[0], "web:1") || !strings.HasSuffix(arns[23], "web:25") {
		t.Errorf("ASC order: first %s, last %s", arns[0], arns[23])
	}
	desc, err := env.ECS.ListTaskDefinitions(t.Context(), &ecs.ListTaskDefinitionsInput{Sort: types.SortOrderDesc, MaxResults: aws.Int32(1)})
	if err != nil || !strings.HasSuffix(desc.TaskDefinitionArns[0], "web:25") || desc.NextToken == nil {
		t.Errorf("DESC first page = %v, %v", desc, err)
	}
	inactive, err := env.ECS.ListTaskDefinitions(t.Context(), &ecs.ListTaskDefinitionsInput{Status: types.TaskDefinitionStatusInactive})
	if err != nil || len(inactive.TaskDefinitionArns) != 1 || !strings.HasSuffix(inactive.TaskDefinitionArns[0], "web:3") || inactive.NextToken != nil {
		t.Errorf("INACTIVE list = %+v, %v", inactive, err)
	}
	_, err = env.ECS.ListTaskDefinitions(t.Context(), &ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(101)})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestECSListTaskDefinitionFamilies(t *testing.T) {
	env := newTestEnv(t)
	for _, family := range []string{"web", "worker", "api"} {
		registerTD(t, env, fargateTaskDef(family, "nginx"))
	}
	if _, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("worker:1")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		in     ecs.ListTaskDefinitionFamiliesInput
		expect string
	}{
		{"default lists all", ecs.ListTaskDefinitionFamiliesInput{}, "[api web worker]"},
		{"prefix", ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("w")}, "[web worker]"},
		{"active", ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusActive}, "[api web]"},
		{"inactive", ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusInactive}, "[worker]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			p := ecs.NewListTaskDefinitionFamiliesPaginator(env.ECS, &tc.in, func(o *ecs.ListTaskDefinitionFamiliesPaginatorOptions) { o.Limit = 1 })
			for p.HasMorePages() {
				out, err := p.NextPage(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, out.Families...)
			}
			if fmt.Sprint(got) != tc.expect {
				t.Errorf("families = %v, want %s", got, tc.expect)
			}
		})
	}
}

func TestECSDeregisterTaskDefinition(t *testing.T) {
	env := newTestEnv(t)
	registerTD(t, env, fargateTaskDef("web", "nginx"))
	out, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:1")})
	if err != nil {
		t.Fatalf("DeregisterTaskDefinition: %v", err)
	}
	if out.TaskDefinition.Status != types.TaskDefinitionStatusInactive || out.TaskDefinition.DeregisteredAt == nil {
		t.Errorf("deregistered = status %s, deregisteredAt %v", out.TaskDefinition.Status, out.TaskDefinition.DeregisteredAt)
	}
	// The revision counter never goes back, and INACTIVE revisions stay describable.
	if arn := registerTD(t, env, fargateTaskDef("web", "nginx")); !strings.HasSuffix(arn, "web:2") {
		t.Errorf("next revision = %s, want web:2", arn)
	}
	if _, err := env.ECS.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:1")}); err != nil {
		t.Errorf("describe INACTIVE revision: %v", err)
	}
	errs := []struct {
		name string
		call func() error
	}{
		{"deregister bare family", func() error {
			_, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web")})
			return err
		}},
		{"deregister unknown revision", func() error {
			_, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:9")})
			return err
		}},
		{"describe unknown family", func() error {
			_, err := env.ECS.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("nope")})
			return err
		}},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), "ClientException") })
	}
}
