package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
)

// obj and list shorten generic JSON literals in the tables below.
type obj = map[string]any

func list(xs ...any) []any { return xs }

const (
	td    = "taskDefinition"
	web   = "taskDefinition.containerDefinitions[0]"
	redis = "taskDefinition.containerDefinitions[1]"
)

// validationRule is one case of the validator's table: a mistake made to
// the journey spec, and the problem it must yield.
type validationRule struct {
	name  string
	edits []edit
	path  string
	want  string   // the whole message, or a distinctive part of it
	also  []string // paths of further problems the same mistake causes
}

func TestValidationRules(t *testing.T) {
	for _, tt := range validationRules() {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(journeyWith(t, tt.edits...))
			ps := problemsOf(t, err)
			p, ok := findProblem(ps, tt.path)
			if !ok {
				t.Fatalf("no problem at %s; got %v", tt.path, ps)
			}
			if !strings.Contains(p.Message, tt.want) {
				t.Errorf("message = %q, want it to contain %q", p.Message, tt.want)
			}
			var paths []string
			for _, p := range ps {
				paths = append(paths, p.Path)
			}
			if want := append([]string{tt.path}, tt.also...); !sameElements(paths, want) {
				t.Errorf("problem paths = %q, want %q", paths, want)
			}
		})
	}
}

// validationRules is the validator's table of mistakes.
func validationRules() []validationRule {
	return []validationRule{
		// region and cluster
		{name: "region malformed", edits: []edit{set("region", "us-east")}, path: "region", want: `"us-east" is not an AWS region name; write one like us-east-1`},
		{name: "cluster name missing", edits: []edit{set("cluster.name", "")}, path: "cluster.name", want: "is required; give the cluster a name"},
		{name: "cluster name with space", edits: []edit{set("cluster.name", "my cluster")}, path: "cluster.name", want: `"my cluster" is not a valid cluster name; use up to 255 letters, digits, hyphens and underscores`},
		{name: "cluster name too long", edits: []edit{set("cluster.name", strings.Repeat("c", 256))}, path: "cluster.name", want: "is not a valid cluster name"},

		// task definition: top level
		{name: "task definition missing", edits: []edit{del(td)}, path: td, want: "is required; paste RegisterTaskDefinition JSON or the output of aws ecs describe-task-definition"},
		{name: "family invalid", edits: []edit{set(td+".family", "php app")}, path: td + ".family", want: "is not a valid task definition family name"},
		{name: "family missing", edits: []edit{del(td + ".family")}, path: td + ".family", want: "is required"},
		{name: "EC2 only", edits: []edit{set(td+".requiresCompatibilities", list("EC2"))}, path: td + ".requiresCompatibilities", want: `does not include "FARGATE"; the console runs services on Fargate, so add it`},
		{name: "bridge networking", edits: []edit{set(td+".networkMode", "bridge")}, path: td + ".networkMode", want: `is "bridge" but Fargate only supports "awsvpc"; set it to "awsvpc"`},
		{name: "network mode missing", edits: []edit{del(td + ".networkMode")}, path: td + ".networkMode", want: `is missing; set it to "awsvpc"`},
		{name: "ipc mode", edits: []edit{set(td+".ipcMode", "task")}, path: td + ".ipcMode", want: "is not supported on Fargate; remove it"},
		{name: "host pid mode", edits: []edit{set(td+".pidMode", "host")}, path: td + ".pidMode", want: `"host" is not supported on Fargate`},
		{name: "ephemeral storage too small", edits: []edit{set(td+".ephemeralStorage", obj{"sizeInGiB": 20})}, path: td + ".ephemeralStorage.sizeInGiB", want: "20 is out of range; Fargate ephemeral storage is 21 to 200 GiB"},

		// Fargate cpu and memory
		{name: "cpu missing", edits: []edit{del(td + ".cpu")}, path: td + ".cpu", want: `is required on Fargate; set the task's CPU units, e.g. "256"`},
		{name: "memory missing", edits: []edit{del(td + ".memory")}, path: td + ".memory", want: "is required on Fargate; set the task's memory in MiB"},
		{name: "cpu malformed", edits: []edit{set(td+".cpu", "fast")}, path: td + ".cpu", want: `"fast" is not a CPU size`},
		{name: "cpu in GB", edits: []edit{set(td+".cpu", "1 GB")}, path: td + ".cpu", want: `"1 GB" is not a CPU size`},
		{name: "cpu not a Fargate size", edits: []edit{set(td+".cpu", "300")}, path: td + ".cpu", want: "300 is not a Fargate CPU size; choose 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 units = 1 vCPU)"},
		{name: "memory not allowed for 256 cpu", edits: []edit{set(td+".cpu", "256"), set(td+".memory", "4096")}, path: td + ".memory", want: "4096 is not a valid Fargate memory for 256 CPU; choose 512, 1024 or 2048"},
		{name: "memory not allowed for 2048 cpu", edits: []edit{set(td+".cpu", "2 vCPU"), set(td+".memory", "1024")}, path: td + ".memory", want: "1024 is not a valid Fargate memory for 2048 CPU; choose a value from 4096 to 16384 in steps of 1024"},
		{name: "memory in GB not allowed", edits: []edit{set(td+".memory", "0.5 GB")}, path: td + ".memory", want: "512 is not a valid Fargate memory for 512 CPU; choose 1024, 2048, 3072 or 4096"},
		{name: "fractional MiB", edits: []edit{set(td+".memory", "1024.5")}, path: td + ".memory", want: `"1024.5" is not a memory size`},
		{name: "windows needs 1 vCPU", edits: []edit{set(td+".runtimePlatform", obj{"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"})}, path: td + ".cpu", want: "512 is too small for Windows containers on Fargate; use at least 1024"},

		// containers
		{name: "no containers", edits: []edit{set(td+".containerDefinitions", list())}, path: td + ".containerDefinitions", want: "needs at least one container",
			also: []string{"loadBalancer.targetGroup.containerName"}},
		{name: "eleven containers", edits: []edit{set(td+".containerDefinitions", elevenContainers())}, path: td + ".containerDefinitions", want: "has 11 containers; a task definition holds at most 10"},
		{name: "duplicate container name", edits: []edit{del(web + ".dependsOn"), set(redis+".name", "web")}, path: redis + ".name", want: `"web" is already the name of containerDefinitions[0]; container names must be unique`},
		{name: "container name invalid", edits: []edit{del(web + ".dependsOn"), set(redis+".name", "redis cache")}, path: redis + ".name", want: `"redis cache" is not a valid container name`},
		{name: "image missing", edits: []edit{del(redis + ".image")}, path: redis + ".image", want: `is required; name the image to run, e.g. "php:8.3-apache"`},
		{name: "image too long", edits: []edit{set(redis+".image", strings.Repeat("i", 256))}, path: redis + ".image", want: "is 256 characters before any @digest; AWS accepts at most 255"},
		{name: "image with a space", edits: []edit{set(web+".image", "php 8")}, path: web + ".image", want: `contains ' '; an image reference may hold only letters, digits and - _ : . / # (and @sha256:<digest>)`},
		{name: "image with a quote", edits: []edit{set(web+".image", `php"8`)}, path: web + ".image", want: `contains '"'`},
		{name: "image with a non-ASCII letter", edits: []edit{set(web+".image", "phé:8")}, path: web + ".image", want: `contains 'é'`},
		{name: "image digest not sha256", edits: []edit{set(web+".image", "php@md5:abc")}, path: web + ".image", want: "has a digest AWS does not accept"},
		{name: "image digest too short", edits: []edit{set(web+".image", "php@sha256:"+strings.Repeat("a", 63))}, path: web + ".image", want: "has a digest AWS does not accept"},
		{name: "image digest only", edits: []edit{set(web+".image", "@sha256:"+strings.Repeat("a", 64))}, path: web + ".image", want: "needs a repository and image name before the @"},
		{name: "container cpu negative", edits: []edit{set(redis+".cpu", -1)}, path: redis + ".cpu", want: "-1 is negative"},
		{name: "container memory tiny", edits: []edit{del(redis + ".memoryReservation"), set(redis+".memory", 4)}, path: redis + ".memory", want: "4 MiB is too little; give a container at least 6 MiB"},
		{name: "container memory above task", edits: []edit{set(web+".memory", 2048)}, path: web + ".memory", want: "2048 MiB is more than the task's 1024 MiB; lower it or raise taskDefinition.memory",
			also: []string{td + ".memory"}},
		{name: "reservation above limit", edits: []edit{set(redis+".memory", 64)}, path: redis + ".memoryReservation", want: "128 MiB is more than the container's memory limit of 64 MiB"},
		{name: "reservation tiny", edits: []edit{set(redis+".memoryReservation", 5)}, path: redis + ".memoryReservation", want: "5 MiB is too little"},
		{name: "container cpu sum above task", edits: []edit{set(web+".cpu", 400), set(redis+".cpu", 200)}, path: td + ".cpu", want: "is 512 but the containers' cpu values add up to 600"},
		{name: "container memory sum above task", edits: []edit{set(web+".memoryReservation", 960)}, path: td + ".memory", want: "is 1024 MiB but the containers reserve 1088 MiB in total"},
		{name: "no essential container", edits: []edit{set(web+".essential", false)}, path: td + ".containerDefinitions", want: `has no essential container; mark at least one (usually the web server) "essential": true`},
		{name: "stop timeout above Fargate max", edits: []edit{set(redis+".stopTimeout", 121)}, path: redis + ".stopTimeout", want: "121 is out of range; on Fargate it is 0 to 120 seconds"},
		{name: "hostname with awsvpc", edits: []edit{set(redis+".hostname", "cache")}, path: redis + ".hostname", want: "is not supported with awsvpc networking"},
		{name: "privileged", edits: []edit{set(redis+".privileged", true)}, path: redis + ".privileged", want: "privileged containers are not supported on Fargate"},
		{name: "links", edits: []edit{set(web+".links", list("redis"))}, path: web + ".links", want: "reach each other on localhost"},
		{name: "shared memory size", edits: []edit{set(redis+".linuxParameters", obj{"sharedMemorySize": 64})}, path: redis + ".linuxParameters.sharedMemorySize", want: "is not supported on Fargate; remove it"},
		{name: "GPU", edits: []edit{set(redis+".resourceRequirements", list(obj{"type": "GPU", "value": "1"}))}, path: redis + ".resourceRequirements", want: "GPUs and inference accelerators are not available on Fargate"},
		{name: "GPU sharing strategy", edits: []edit{set(redis+".resourceRequirements", list(obj{"type": "GPU", "value": "1", "sharingStrategy": obj{"nvidiaMps": obj{}}}))}, path: redis + ".resourceRequirements[0].sharingStrategy", want: "is not supported by the console; remove it",
			also: []string{redis + ".resourceRequirements"}},
		{name: "devices", edits: []edit{set(redis+".linuxParameters", obj{"devices": list(obj{"hostPath": "/dev/fuse"})})}, path: redis + ".linuxParameters.devices", want: "is not supported on Fargate"},
		{name: "depends on unknown container", edits: []edit{set(web+".dependsOn[0].containerName", "memcached")}, path: web + ".dependsOn[0].containerName", want: `no container named "memcached" in this task definition; use one of redis or web`},
		{name: "depends on itself", edits: []edit{set(web+".dependsOn[0].containerName", "web")}, path: web + ".dependsOn[0].containerName", want: "a container cannot depend on itself"},
		{name: "dependency condition unknown", edits: []edit{set(web+".dependsOn[0].condition", "READY")}, path: web + ".dependsOn[0].condition", want: `"READY" is not a valid value; use one of START, COMPLETE, SUCCESS, HEALTHY`},
		{name: "mount of unknown volume", edits: []edit{set(redis+".mountPoints", list(obj{"sourceVolume": "data", "containerPath": "/data"}))}, path: redis + ".mountPoints[0].sourceVolume", want: `no volume named "data" in taskDefinition.volumes`},

		// ports
		{name: "container port missing", edits: []edit{del(redis + ".portMappings[0].containerPort")}, path: redis + ".portMappings[0].containerPort", want: "is required; give the port the container listens on (1-65535)"},
		{name: "container port too big", edits: []edit{set(redis+".portMappings[0].containerPort", 70000)}, path: redis + ".portMappings[0].containerPort", want: "70000 is not a valid port; use 1-65535"},
		{name: "container port zero", edits: []edit{set(redis+".portMappings[0].containerPort", 0)}, path: redis + ".portMappings[0].containerPort", want: "0 is not a valid port"},
		{name: "host port differs in awsvpc", edits: []edit{set(redis+".portMappings[0].hostPort", 6380)}, path: redis + ".portMappings[0].hostPort", want: "is 6380 but with awsvpc networking it must equal containerPort 6379; remove hostPort or set it to 6379"},
		{name: "port name invalid", edits: []edit{set(redis+".portMappings[0].name", "Redis")}, path: redis + ".portMappings[0].name", want: `"Redis" is not a valid port name`},
		{name: "port mapped twice", edits: []edit{set(redis+".portMappings", list(obj{"containerPort": 6379}, obj{"containerPort": 8080}))}, path: redis + ".portMappings[1].containerPort", want: "8080/tcp is already mapped by taskDefinition.containerDefinitions[0].portMappings[0]"},

		// logs, secrets and the execution role
		{name: "unsupported log driver", edits: []edit{set(redis+".logConfiguration", obj{"logDriver": "json-file"})}, path: redis + ".logConfiguration.logDriver", want: `"json-file" is not supported on Fargate; use awslogs, splunk or awsfirelens`},
		{name: "awslogs without stream prefix", edits: []edit{del(redis + ".logConfiguration.options.awslogs-stream-prefix")}, path: redis + ".logConfiguration.options.awslogs-stream-prefix", want: "is required for awslogs on Fargate; give a prefix for the log stream names"},
		{name: "awslogs without group", edits: []edit{del(redis + ".logConfiguration.options.awslogs-group")}, path: redis + ".logConfiguration.options.awslogs-group", want: `name the CloudWatch log group, e.g. "/ecs/php-app"`},
		{name: "awslogs without execution role", edits: []edit{del(td + ".executionRoleArn")}, path: td + ".executionRoleArn", want: `is required because container "web" sends logs with awslogs; set it to a role ECS can assume`},
		{name: "secrets without execution role", edits: []edit{del(td + ".executionRoleArn"), del(web + ".logConfiguration"), del(redis + ".logConfiguration"),
			set(web+".secrets", list(obj{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf"}))},
			path: td + ".executionRoleArn", want: `is required because container "web" reads secrets`},
		{name: "private registry without execution role", edits: []edit{del(td + ".executionRoleArn"), del(web + ".logConfiguration"), del(redis + ".logConfiguration"),
			set(redis+".repositoryCredentials", obj{"credentialsParameter": "arn:aws:secretsmanager:us-east-1:000000000000:secret:hub-AbCdEf"})},
			path: td + ".executionRoleArn", want: `is required because container "redis" pulls from a private registry`},
		{name: "secret without valueFrom", edits: []edit{set(web+".secrets", list(obj{"name": "DB_PASSWORD"}))}, path: web + ".secrets[0].valueFrom", want: "is required; give the ARN of the Secrets Manager secret or SSM parameter"},

		// health checks
		{name: "health check command", edits: []edit{set(redis+".healthCheck", obj{"command": list("redis-cli", "ping")})}, path: redis + ".healthCheck.command", want: `must start with "CMD" or "CMD-SHELL"`},
		{name: "health check interval", edits: []edit{set(redis+".healthCheck", obj{"command": list("CMD", "redis-cli", "ping"), "interval": 4})}, path: redis + ".healthCheck.interval", want: "4 is out of range; use 5 to 300"},
		{name: "health check retries", edits: []edit{set(redis+".healthCheck", obj{"command": list("CMD", "redis-cli", "ping"), "retries": 11})}, path: redis + ".healthCheck.retries", want: "11 is out of range; use 1 to 10"},

		// volumes and tags
		{name: "host volume", edits: []edit{set(td+".volumes", list(obj{"name": "data", "host": obj{"sourcePath": "/srv"}}))}, path: td + ".volumes[0].host.sourcePath", want: "host paths are not supported on Fargate"},
		{name: "docker volume", edits: []edit{set(td+".volumes", list(obj{"name": "data", "dockerVolumeConfiguration": obj{"scope": "task"}}))}, path: td + ".volumes[0].dockerVolumeConfiguration", want: "Docker volumes are not supported on Fargate"},
		{name: "duplicate volume", edits: []edit{set(td+".volumes", list(obj{"name": "data"}, obj{"name": "data"}))}, path: td + ".volumes[1].name", want: `"data" is used by another volume`},
		{name: "reserved tag key", edits: []edit{set(td+".tags", list(obj{"key": "aws:team", "value": "web"}))}, path: td + ".tags[0].key", want: "starts with aws:, which AWS reserves"},
		{name: "duplicate tag key", edits: []edit{set(td+".tags", list(obj{"key": "team", "value": "a"}, obj{"key": "team", "value": "b"}))}, path: td + ".tags[1].key", want: `"team" appears twice`},
		{name: "tag value characters", edits: []edit{set(td+".tags", list(obj{"key": "team", "value": "web#1"}))}, path: td + ".tags[0].value", want: "is not a valid tag value"},

		// service
		{name: "service name missing", edits: []edit{del("service.name")}, path: "service.name", want: "is required; give the service a name"},
		{name: "desired count missing", edits: []edit{del("service.desiredCount")}, path: "service.desiredCount", want: "is required; give the number of tasks to run, e.g. 2"},
		{name: "desired count negative", edits: []edit{set("service.desiredCount", -1)}, path: "service.desiredCount", want: "-1 is out of range; run 0 to 5000 tasks"},
		{name: "desired count above quota", edits: []edit{set("service.desiredCount", 5001)}, path: "service.desiredCount", want: "5001 is out of range"},
		{name: "no subnets", edits: []edit{set("service.subnets", list())}, path: "service.subnets", want: `is empty; list at least one subnet id, e.g. "subnet-0a1b2c3d"`},
		{name: "too many subnets", edits: []edit{set("service.subnets", subnetIDs(17))}, path: "service.subnets", want: "lists 17 subnets; at most 16 are allowed"},
		{name: "subnet id malformed", edits: []edit{set("service.subnets[1]", "subnet-xyz")}, path: "service.subnets[1]", want: `"subnet-xyz" is not a subnet id; they look like "subnet-0a1b2c3d4e5f67890"`},
		{name: "subnet listed twice", edits: []edit{set("service.subnets[1]", "subnet-0a1b2c3d4e5f60001")}, path: "service.subnets[1]", want: `"subnet-0a1b2c3d4e5f60001" is listed twice`},
		{name: "no security group", edits: []edit{del("service.newSecurityGroup")}, path: "service.securityGroupIds", want: "the tasks need a security group: list existing ones in securityGroupIds, or describe one to create in newSecurityGroup"},
		{name: "security group id malformed", edits: []edit{set("service.securityGroupIds", list("sg-web"))}, path: "service.securityGroupIds[0]", want: `"sg-web" is not a security group id`},
		{name: "too many security groups", edits: []edit{set("service.securityGroupIds", list("sg-01", "sg-02", "sg-03", "sg-04", "sg-05"))}, path: "service.securityGroupIds", want: "the tasks would have 6 security groups; ECS allows at most 5, counting newSecurityGroup"},
		{name: "new group name missing", edits: []edit{set("service.newSecurityGroup.name", "")}, path: "service.newSecurityGroup.name", want: "is required; name the security group to create"},
		{name: "new group name sg- prefix", edits: []edit{set("service.newSecurityGroup.name", "sg-php")}, path: "service.newSecurityGroup.name", want: `"sg-php" starts with "sg-", which EC2 reserves for group ids`},
		{name: "new group name characters", edits: []edit{set("service.newSecurityGroup.name", "php<app>")}, path: "service.newSecurityGroup.name", want: "has characters EC2 does not allow"},
		{name: "new group name too long", edits: []edit{set("service.newSecurityGroup.name", strings.Repeat("g", 256))}, path: "service.newSecurityGroup.name", want: "is 256 characters; EC2 allows at most 255"},
		{name: "ingress port invalid", edits: []edit{set("service.newSecurityGroup.ingressPorts", list(8080, 0))}, path: "service.newSecurityGroup.ingressPorts[1]", want: "0 is not a valid port; use 1-65535"},
		{name: "ingress port repeated", edits: []edit{set("service.newSecurityGroup.ingressPorts", list(8080, 8080))}, path: "service.newSecurityGroup.ingressPorts[1]", want: "port 8080 is listed twice"},
		{name: "rollback without circuit breaker", edits: []edit{set("service.circuitBreaker.enable", false)}, path: "service.circuitBreaker.rollback", want: "rollback only happens when the circuit breaker is enabled"},
		{name: "minimum healthy above 100", edits: []edit{set("service.minimumHealthyPercent", 101)}, path: "service.minimumHealthyPercent", want: "101 is out of range; use 0 to 100"},
		{name: "maximum above 200", edits: []edit{set("service.maximumPercent", 250)}, path: "service.maximumPercent", want: "250 is out of range; use 100 to 200"},
		{name: "maximum not above minimum", edits: []edit{set("service.maximumPercent", 100)}, path: "service.maximumPercent", want: "100 must be greater than minimumHealthyPercent (100)"},

		// load balancer and target group
		{name: "load balancer name too long", edits: []edit{set("loadBalancer.name", strings.Repeat("a", 33))}, path: "loadBalancer.name", want: "is 33 characters; a load balancer name can be at most 32"},
		{name: "load balancer name characters", edits: []edit{set("loadBalancer.name", "php_app")}, path: "loadBalancer.name", want: `"php_app" may only contain letters, digits and hyphens`},
		{name: "load balancer name trailing hyphen", edits: []edit{set("loadBalancer.name", "php-")}, path: "loadBalancer.name", want: "must not begin or end with a hyphen"},
		{name: "load balancer name internal-", edits: []edit{set("loadBalancer.name", "internal-php")}, path: "loadBalancer.name", want: `starts with "internal-", which AWS reserves`},
		{name: "load balancer name missing", edits: []edit{set("loadBalancer.name", "")}, path: "loadBalancer.name", want: "is required; name the load balancer"},
		{name: "one load balancer subnet", edits: []edit{set("loadBalancer.subnets", list("subnet-0a1b2c3d4e5f60001"))}, path: "loadBalancer.subnets", want: "lists 1 subnet(s); an Application Load Balancer needs at least 2, in different Availability Zones"},
		{name: "load balancer subnet repeated", edits: []edit{set("loadBalancer.subnets[1]", "subnet-0a1b2c3d4e5f60001")}, path: "loadBalancer.subnets[1]", want: "is listed twice"},
		{name: "target group name leading hyphen", edits: []edit{set("loadBalancer.targetGroup.name", "-php")}, path: "loadBalancer.targetGroup.name", want: `"-php" must not begin or end with a hyphen`},
		{name: "target group name too long", edits: []edit{set("loadBalancer.targetGroup.name", strings.Repeat("t", 33))}, path: "loadBalancer.targetGroup.name", want: "a target group name can be at most 32"},
		{name: "target container missing", edits: []edit{set("loadBalancer.targetGroup.containerName", "")}, path: "loadBalancer.targetGroup.containerName", want: "is required; name the container that receives the traffic"},
		{name: "target container unknown", edits: []edit{set("loadBalancer.targetGroup.containerName", "app")}, path: "loadBalancer.targetGroup.containerName", want: `no container named "app" in the task definition; use one of redis or web`},
		{name: "target port not mapped", edits: []edit{set("loadBalancer.targetGroup.containerPort", 80)}, path: "loadBalancer.targetGroup.containerPort", want: `container "web" does not map port 80; use 8080, or add 80 to its portMappings`},
		{name: "target port invalid", edits: []edit{set("loadBalancer.targetGroup.containerPort", 0)}, path: "loadBalancer.targetGroup.containerPort", want: "0 is not a valid port"},
		{name: "target container maps no tcp port", edits: []edit{set(web+".portMappings[0].protocol", "udp")}, path: "loadBalancer.targetGroup.containerPort", want: `container "web" maps no TCP ports; add {"containerPort": 8080} to its portMappings`},
		{name: "health check path relative", edits: []edit{set("loadBalancer.targetGroup.healthCheckPath", "health")}, path: "loadBalancer.targetGroup.healthCheckPath", want: `"health" must start with /`},

		// https
		{name: "https without certificate", edits: []edit{del("loadBalancer.https.requestDomain")}, path: "loadBalancer.https", want: "needs a certificate: set certificateArn to an issued ACM certificate, or requestDomain"},
		{name: "https with both", edits: []edit{set("loadBalancer.https.certificateArn", "arn:aws:acm:us-east-1:000000000000:certificate/0a1b2c3d")}, path: "loadBalancer.https", want: "set either certificateArn or requestDomain, not both"},
		{name: "certificate ARN malformed", edits: []edit{del("loadBalancer.https.requestDomain"), set("loadBalancer.https.certificateArn", "arn:aws:iam::000000000000:server-certificate/app")}, path: "loadBalancer.https.certificateArn", want: "is not an ACM certificate ARN"},
		{name: "certificate in another region", edits: []edit{del("loadBalancer.https.requestDomain"), set("loadBalancer.https.certificateArn", "arn:aws:acm:eu-west-1:000000000000:certificate/0a1b2c3d")}, path: "loadBalancer.https.certificateArn", want: "the certificate is in eu-west-1 but the spec deploys to us-east-1"},
		{name: "domain with trailing dot", edits: []edit{set("loadBalancer.https.requestDomain", "app.example.com.")}, path: "loadBalancer.https.requestDomain", want: `"app.example.com." ends with a dot; remove the trailing dot`},
		{name: "domain single label", edits: []edit{set("loadBalancer.https.requestDomain", "localhost")}, path: "loadBalancer.https.requestDomain", want: "is not a full domain name"},
		{name: "domain bad label", edits: []edit{set("loadBalancer.https.requestDomain", "app_1.example.com")}, path: "loadBalancer.https.requestDomain", want: "is not a valid domain name"},
		{name: "domain wildcard in the middle", edits: []edit{set("loadBalancer.https.requestDomain", "app.*.example.com")}, path: "loadBalancer.https.requestDomain", want: "is not a valid domain name"},
		{name: "domain too long for a certificate", edits: []edit{set("loadBalancer.https.requestDomain", strings.Repeat("a", 60)+".example.com")}, path: "loadBalancer.https.requestDomain", want: "is longer than 64 characters"},
	}
}

func sameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func elevenContainers() []any {
	var cs []any
	for i := range 11 {
		cs = append(cs, obj{"name": fmt.Sprintf("c%d", i), "image": "busybox"})
	}
	// keep the target group's container so only the count is wrong
	cs[0] = obj{"name": "web", "image": "php:8.3-apache", "portMappings": list(obj{"containerPort": 8080})}
	return cs
}

func subnetIDs(n int) []any {
	var ids []any
	for i := range n {
		ids = append(ids, fmt.Sprintf("subnet-%017x", i+1))
	}
	return ids
}

func TestValidationAccepts(t *testing.T) {
	tests := []struct {
		name  string
		edits []edit
	}{
		{"the journey as written", nil},
		{"vCPU and GB units", []edit{set(td+".cpu", "0.5 vCPU"), set(td+".memory", "1 GB")}},
		{"units without space, any case", []edit{set(td+".cpu", "1vcpu"), set(td+".memory", "2GB")}},
		{"largest size", []edit{set(td+".cpu", "16384"), set(td+".memory", "122880")}},
		{"no requiresCompatibilities", []edit{del(td + ".requiresCompatibilities")}},
		{"no load balancer", []edit{del("loadBalancer")}},
		{"load balancer null", []edit{set("loadBalancer", nil)}},
		{"no https", []edit{del("loadBalancer.https")}},
		{"existing certificate", []edit{del("loadBalancer.https.requestDomain"), set("loadBalancer.https.certificateArn", "arn:aws:acm:us-east-1:000000000000:certificate/0a1b2c3d-1111-2222-3333-444455556666")}},
		{"wildcard domain", []edit{set("loadBalancer.https.requestDomain", "*.example.com")}},
		{"existing security groups", []edit{del("service.newSecurityGroup"), set("service.securityGroupIds", list("sg-0123456789abcdef0"))}},
		{"new group without ports", []edit{set("service.newSecurityGroup.ingressPorts", list())}},
		{"default deployment percents", []edit{del("service.minimumHealthyPercent"), del("service.maximumPercent")}},
		{"zero tasks", []edit{set("service.desiredCount", 0)}},
		{"no region", []edit{del("region")}},
		{"host port equal to container port", []edit{set(web+".portMappings[0].hostPort", 8080)}},
		{"health check in range", []edit{set(redis+".healthCheck", obj{"command": list("CMD", "redis-cli", "ping"), "interval": 5, "timeout": 2, "retries": 10, "startPeriod": 0})}},
		{"EFS volume mounted", []edit{set(td+".volumes", list(obj{"name": "data", "efsVolumeConfiguration": obj{"fileSystemId": "fs-0123"}})), set(redis+".mountPoints", list(obj{"sourceVolume": "data", "containerPath": "/data"}))}},
		{"docker labels with dots", []edit{set(web+".dockerLabels", obj{"com.example.team": "web"})}},
		{"tags", []edit{set(td+".tags", list(obj{"key": "team", "value": "web"}, obj{"key": "cost-centre", "value": ""}))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := Parse(journeyWith(t, tt.edits...))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := Validate(spec); err != nil {
				t.Errorf("Validate after Parse: %v", err)
			}
		})
	}
}

// A spec with mistakes in every section reports all of them in one error.
func TestParseReportsAllProblemsAtOnce(t *testing.T) {
	data := journeyWith(t,
		set("region", "moon-1"),
		set("cluster.name", "my cluster"),
		set(td+".memory", "4096"), set(td+".cpu", "256"),
		set(redis+".portMappings[0].containerPort", 70000),
		set(redis+".portMappings[0].protocol", "sctp"),
		set(web+".essential", "yes"),
		set("service.subnets", list("subnet-0a1b2c3d4e5f60001", "subnet-x")),
		set("service.bogus", 1),
		del("service.newSecurityGroup"),
		set("loadBalancer.name", "internal-app"),
		set("loadBalancer.targetGroup.containerName", "app"),
	)
	_, err := Parse(data)
	want := []ecsconsole.Problem{
		{Path: "service.bogus", Message: "unknown field; remove it"},
		{Path: web + ".essential", Message: "must be true or false; found a string"},
		{Path: redis + ".portMappings[0].protocol", Message: `"sctp" is not a valid value; use one of tcp, udp`},
		{Path: "region", Message: `"moon-1" is not an AWS region name; write one like us-east-1 or eu-west-3`},
		{Path: "cluster.name", Message: `"my cluster" is not a valid cluster name; use up to 255 letters, digits, hyphens and underscores`},
		{Path: td + ".memory", Message: "4096 is not a valid Fargate memory for 256 CPU; choose 512, 1024 or 2048"},
		{Path: redis + ".portMappings[0].containerPort", Message: "70000 is not a valid port; use 1-65535"},
		{Path: "service.subnets[1]", Message: `"subnet-x" is not a subnet id; they look like "subnet-0a1b2c3d4e5f67890"`},
		{Path: "service.securityGroupIds", Message: "the tasks need a security group: list existing ones in securityGroupIds, or describe one to create in newSecurityGroup"},
		{Path: "loadBalancer.name", Message: `"internal-app" starts with "internal-", which AWS reserves; choose another name`},
		{Path: "loadBalancer.targetGroup.containerName", Message: `no container named "app" in the task definition; use one of redis or web`},
	}
	if got := problemsOf(t, err); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", formatProblems(got), formatProblems(want))
	}
}

func formatProblems(ps []ecsconsole.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// Validate serves specs assembled in code (the wizard), not only parsed ones.
func TestValidateSpecBuiltInCode(t *testing.T) {
	count := int32(1)
	spec := &ecsconsole.Spec{
		Region:  "us-east-1",
		Cluster: ecsconsole.Cluster{Name: "demo"},
		TaskDefinition: json.RawMessage(`{"family":"web","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
			"containerDefinitions":[{"name":"web","image":"nginx","portMappings":[{"containerPort":80}]}]}`),
		Service: ecsconsole.Service{Name: "web", DesiredCount: &count, Subnets: []string{"subnet-01"}, SecurityGroupIDs: []string{"sg-01"}},
	}
	if err := Validate(spec); err != nil {
		t.Fatalf("Validate: %v", err)
	}

	spec.Service.Subnets = nil
	spec.TaskDefinition = json.RawMessage(`{"family":"web","containerDefinitions":[{"name":"web","image":"nginx","portMapping":[]}]}`)
	ps := problemsOf(t, Validate(spec))
	want := []string{"taskDefinition", "service.subnets"}
	var paths []string
	for _, p := range ps {
		paths = append(paths, p.Path)
	}
	if !slices.Equal(paths, want) {
		t.Errorf("problem paths = %q, want %q", paths, want)
	}
	if !strings.Contains(ps[0].Message, `unknown field "portMapping"`) {
		t.Errorf("task definition problem = %q, want it to name the unknown field", ps[0].Message)
	}
}

func TestParseTaskSize(t *testing.T) {
	tests := []struct {
		in, unit string
		want     int
		ok       bool
	}{
		{"256", "vcpu", 256, true},
		{"0.25 vCPU", "vcpu", 256, true},
		{"1 vcpu", "vcpu", 1024, true},
		{" 2vCPU ", "vcpu", 2048, true},
		{"1 GB", "gb", 1024, true},
		{"0.5GB", "gb", 512, true},
		{"1.5 gb", "gb", 1536, true},
		{"0.1 GB", "gb", 0, false}, // 102.4 MiB
		{"256.0", "vcpu", 0, false},
		{"1 GB", "vcpu", 0, false},
		{"vCPU", "vcpu", 0, false},
		{".5 vCPU", "vcpu", 0, false},
		{"1e3", "vcpu", 0, false},
		{"-256", "vcpu", 0, false},
		{"0", "vcpu", 0, false},
		{"99999999999999999999", "vcpu", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseTaskSize(tt.in, tt.unit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseTaskSize(%q, %q) = %d, %v; want %d, %v", tt.in, tt.unit, got, ok, tt.want, tt.ok)
		}
	}
}

// TestImageReferencesAWSAccepts keeps the image rule from refusing what
// AWS takes: registries with ports, paths, tags, digests.
func TestImageReferencesAWSAccepts(t *testing.T) {
	for _, image := range []string{
		"php:8.3-apache", "public.ecr.aws/nginx/nginx:latest", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1_2#x",
		"registry.example.com:5000/team/app:1.0", "nginx@sha256:" + strings.Repeat("0a", 32),
		"ghcr.io/o/app:1@sha256:" + strings.Repeat("F", 64), strings.Repeat("i", 255),
	} {
		if msg := imageProblem(image); msg != "" {
			t.Errorf("imageProblem(%q) = %q, want accepted", image, msg)
		}
	}
}

func TestAlternativeNames(t *testing.T) {
	base := func(h string) string {
		return `{"cluster":{"name":"demo"},"taskDefinition":{"family":"web","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
		"containerDefinitions":[{"name":"web","image":"nginx","portMappings":[{"containerPort":80}]}]},
		"service":{"name":"web","desiredCount":1,"subnets":["subnet-0a","subnet-0b"],"securityGroupIds":["sg-0a"]},
		"loadBalancer":{"name":"web","subnets":["subnet-0a","subnet-0b"],"targetGroup":{"name":"web","containerName":"web","containerPort":80},"https":` + h + `}}`
	}
	for _, tc := range []struct {
		name, https, path string
	}{
		{"ok", `{"requestDomain":"example.com","alternativeNames":["www.example.com","*.example.com"]}`, ""},
		{"bad name", `{"requestDomain":"example.com","alternativeNames":["not a name"]}`, "loadBalancer.https.alternativeNames[0]"},
		{"repeats the domain", `{"requestDomain":"example.com","alternativeNames":["EXAMPLE.com"]}`, "loadBalancer.https.alternativeNames[0]"},
		{"with an existing certificate", `{"certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/abc","alternativeNames":["www.example.com"]}`, "loadBalancer.https.alternativeNames"},
		{"too many", `{"requestDomain":"example.com","alternativeNames":["a.example.com","b.example.com","c.example.com","d.example.com","e.example.com","f.example.com","g.example.com","h.example.com","i.example.com","j.example.com"]}`, "loadBalancer.https.alternativeNames"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := ParseWithDefaultRegion([]byte(base(tc.https)), "us-east-1")
			if tc.path == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := spec.LoadBalancer.HTTPS.AlternativeNames; len(got) != 2 {
					t.Errorf("alternative names %v", got)
				}
				return
			}
			var ve *ecsconsole.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a problem at %s", err, tc.path)
			}
			for _, p := range ve.Problems {
				if p.Path == tc.path {
					return
				}
			}
			t.Errorf("problems %v, want one at %s", ve.Problems, tc.path)
		})
	}
}
