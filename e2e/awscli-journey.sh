#!/usr/bin/env bash
# Drives the standalone sandbox (`ecsconsole sandbox`) with Debian's awscli,
# an independent client (botocore's own serializers and parsers), through
# the user journey of docs/design.md §1 and through AWS's rejections with their
# exact error codes. Prints each step with its duration; exits non-zero on
# the first mismatch.
#
# Needs: go, jq, Debian's awscli (`apt-get install -y awscli jq`).
# Environment:
#   AWS_CLI        the awscli to use (default /usr/bin/aws: Debian's, which a
#                  pip-installed `aws` earlier on PATH would otherwise shadow)
#   SANDBOX_SPEED  simulated seconds per real second (default 60)
set -euo pipefail

cd "$(dirname "$0")/.."
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
SPEED=${SANDBOX_SPEED:-60}
if ! [[ $SPEED =~ ^[0-9]+([.][0-9]+)?$ ]] || ! awk -v s="$SPEED" 'BEGIN { exit !(s > 0) }'; then
	echo "SANDBOX_SPEED must be a positive number, got '$SPEED'" >&2
	exit 2
fi

# real_seconds SIMULATED: real seconds for that many simulated ones, rounded up.
real_seconds() { awk -v t="$1" -v s="$SPEED" 'BEGIN { r = t / s; printf "%d", (r == int(r)) ? r : int(r) + 1 }'; }

# Certificate validation takes 45 real seconds whatever the speed: long
# enough that the HTTPS listener is reliably refused while pending even when
# each awscli call takes seconds on a loaded machine; the journey meanwhile
# brings the service up over HTTP, as the console does.
CERT_DELAY=$(awk -v s="$SPEED" 'BEGIN { printf "%ds", 45 * s }')

# poll_limit SIMULATED: how long to poll for something the sandbox takes up to
# SIMULATED seconds to do, plus a minute for slow awscli calls.
poll_limit() { echo $(($(real_seconds "$1") + 60)); }
DOMAIN=app.example.com

work=$(mktemp -d)
server_pid=""
cleanup() {
	local status=$?
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if ((status != 0)) && [[ -s $work/server.log ]]; then
		echo "--- last lines of the sandbox log ---" >&2
		tail -n 20 "$work/server.log" >&2
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# A clean awscli environment: fake credentials, no user config, no pager.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials AWS_PAGER=""
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_SESSION_TOKEN

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

now_us() { echo "${EPOCHREALTIME/./}"; }
journey_start=$(now_us)

# seconds_since START_US: elapsed seconds with one decimal.
seconds_since() {
	local ms=$((($(now_us) - $1) / 1000))
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
timings=()

# step NAME FUNCTION: runs one step of the journey and prints its duration.
step() {
	local name=$1 fn=$2 t0 ms
	t0=$(now_us)
	"$fn"
	ms=$((($(now_us) - t0) / 1000))
	timings+=("$(printf '%7d ms  %s' "$ms" "$name")")
	printf 'ok  %-58s %6d ms  (total %s s)\n' "$name" "$ms" "$(seconds_since "$journey_start")"
}

# awsj ARGS...: one awscli call against the sandbox, JSON on stdout.
awsj() {
	local out
	if ! out=$("$AWS_CLI" --endpoint-url "$URL" --output json "$@" 2>"$work/err"); then
		fail "aws $*: $(cat "$work/err")"
	fi
	printf '%s\n' "$out"
}

# expect_error CODE ARGS...: the call must fail with exactly this error code.
expect_error() {
	local code=$1 err got
	shift
	if err=$("$AWS_CLI" --endpoint-url "$URL" --output json "$@" 2>&1 >/dev/null); then
		fail "aws $* succeeded; want error $code"
	fi
	got=$(sed -n 's/.*An error occurred (\([^)]*\)).*/\1/p' <<<"$err" | head -n 1)
	[[ $got == "$code" ]] || fail "aws $*: got ${got:-no error code} ($err); want $code"
}

# expect NAME ACTUAL WANT
expect() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
}

# expect_match NAME ACTUAL REGEX
expect_match() {
	[[ $2 =~ $3 ]] || fail "$1: '$2' does not match $3"
}

# poll WHAT SECONDS JQ_FILTER ARGS...: repeats the call until the filter is
# true of its answer, which is left in $polled.
polled=""
poll() {
	local what=$1 seconds=$2 filter=$3 deadline
	shift 3
	deadline=$((SECONDS + seconds))
	while :; do
		polled=$(awsj "$@")
		if jq -e "$filter" >/dev/null <<<"$polled"; then
			return 0
		fi
		((SECONDS < deadline)) || fail "timed out after ${seconds}s waiting for $what; last answer: $polled"
		sleep 0.3
	done
}

# --- the steps -------------------------------------------------------------

build() {
	"$AWS_CLI" --version >/dev/null || fail "no awscli at $AWS_CLI (apt-get install -y awscli)"
	command -v jq >/dev/null || fail "jq is needed (apt-get install -y jq)"
	go build -o "$work/ecsconsole" ./cmd/ecsconsole
}

start_sandbox() {
	"$work/ecsconsole" sandbox --addr 127.0.0.1:0 --speed "$SPEED" --cert-delay "$CERT_DELAY" \
		>"$work/server.out" 2>"$work/server.log" &
	server_pid=$!
	local deadline=$((SECONDS + 15))
	until [[ -s $work/server.out ]]; do
		kill -0 "$server_pid" 2>/dev/null || fail "sandbox exited: $(cat "$work/server.log")"
		((SECONDS < deadline)) || fail "sandbox did not start"
		sleep 0.1
	done
	local line
	line=$(head -n 1 "$work/server.out")
	expect_match "startup line" "$line" '^sandbox listening on http://127\.0\.0\.1:[0-9]+ \(region us-east-1, account 000000000000\)$'
	URL=$(awk '{print $4}' <<<"$line")
	echo "    $("$AWS_CLI" --version 2>&1) against $URL at speed $SPEED"
}

caller_identity() {
	local out
	out=$(awsj sts get-caller-identity)
	ACCOUNT=$(jq -r .Account <<<"$out")
	expect "account" "$ACCOUNT" 000000000000
}

default_network() {
	local out
	out=$(awsj ec2 describe-vpcs --filters Name=isDefault,Values=true)
	expect "default VPCs" "$(jq '.Vpcs | length' <<<"$out")" 1
	VPC=$(jq -r '.Vpcs[0].VpcId' <<<"$out")
	expect "default VPC CIDR" "$(jq -r '.Vpcs[0].CidrBlock' <<<"$out")" 172.31.0.0/16
	out=$(awsj ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC" Name=default-for-az,Values=true)
	expect "default subnets" "$(jq '.Subnets | length' <<<"$out")" 3
	expect "distinct AZs" "$(jq '[.Subnets[].AvailabilityZone] | unique | length' <<<"$out")" 3
	SUBNET_A=$(jq -r '.Subnets | sort_by(.AvailabilityZone) | .[0].SubnetId' <<<"$out")
	SUBNET_B=$(jq -r '.Subnets | sort_by(.AvailabilityZone) | .[1].SubnetId' <<<"$out")
}

security_groups() {
	ALB_SG=$(awsj ec2 create-security-group --group-name journey-alb --description "journey ALB" --vpc-id "$VPC" | jq -r .GroupId)
	TASK_SG=$(awsj ec2 create-security-group --group-name journey-tasks --description "journey tasks" --vpc-id "$VPC" | jq -r .GroupId)
	expect_match "ALB group id" "$ALB_SG" '^sg-[0-9a-f]{17}$'
	awsj ec2 authorize-security-group-ingress --group-id "$ALB_SG" --ip-permissions \
		'IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=0.0.0.0/0}]' \
		'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}]' >/dev/null
	awsj ec2 authorize-security-group-ingress --group-id "$TASK_SG" --ip-permissions \
		"IpProtocol=tcp,FromPort=8080,ToPort=8080,UserIdGroupPairs=[{GroupId=$ALB_SG}]" >/dev/null
	local out
	out=$(awsj ec2 describe-security-groups --group-ids "$ALB_SG" "$TASK_SG")
	expect "ALB ports open to the internet" \
		"$(jq -c --arg g "$ALB_SG" '[.SecurityGroups[] | select(.GroupId == $g) | .IpPermissions[] | select(.IpRanges[].CidrIp == "0.0.0.0/0") | .FromPort] | sort' <<<"$out")" '[80,443]'
	expect "task port open to the ALB group" \
		"$(jq -r --arg g "$TASK_SG" '.SecurityGroups[] | select(.GroupId == $g) | .IpPermissions[] | select(.FromPort == 8080) | .UserIdGroupPairs[0].GroupId' <<<"$out")" "$ALB_SG"
}

task_definition() {
	awsj logs create-log-group --log-group-name /ecs/journey-php >/dev/null
	cat >"$work/taskdef.json" <<EOF
{
  "family": "journey-php",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "512",
  "memory": "1024",
  "executionRoleArn": "arn:aws:iam::$ACCOUNT:role/ecsTaskExecutionRole",
  "containerDefinitions": [
    {
      "name": "web",
      "image": "php:8.3-apache",
      "essential": true,
      "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
      "environment": [{"name": "REDIS_HOST", "value": "localhost"}],
      "logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/journey-php", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}}
    },
    {
      "name": "redis",
      "image": "redis:7-alpine",
      "essential": false,
      "logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/journey-php", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}}
    }
  ]
}
EOF
	local out
	out=$(awsj ecs register-task-definition --cli-input-json "file://$work/taskdef.json")
	expect "revision" "$(jq -r .taskDefinition.revision <<<"$out")" 1
	expect "status" "$(jq -r .taskDefinition.status <<<"$out")" ACTIVE
	expect "containers" "$(jq -c '[.taskDefinition.containerDefinitions[].name]' <<<"$out")" '["web","redis"]'
	TASKDEF_ARN=$(jq -r .taskDefinition.taskDefinitionArn <<<"$out")
	expect_match "task definition ARN" "$TASKDEF_ARN" "^arn:aws:ecs:us-east-1:$ACCOUNT:task-definition/journey-php:1$"
}

cluster() {
	local out
	out=$(awsj ecs create-cluster --cluster-name journey)
	expect "cluster status" "$(jq -r .cluster.status <<<"$out")" ACTIVE
	CLUSTER_ARN=$(jq -r .cluster.clusterArn <<<"$out")
}

target_group() {
	local out
	out=$(awsj elbv2 create-target-group --name journey-php --protocol HTTP --port 8080 --vpc-id "$VPC" \
		--target-type ip --health-check-path /)
	TG_ARN=$(jq -r '.TargetGroups[0].TargetGroupArn' <<<"$out")
	expect "target type" "$(jq -r '.TargetGroups[0].TargetType' <<<"$out")" ip
	expect "no load balancer yet" "$(jq -c '.TargetGroups[0].LoadBalancerArns' <<<"$out")" '[]'
}

load_balancer() {
	local out
	out=$(awsj elbv2 create-load-balancer --name journey-php --subnets "$SUBNET_A" "$SUBNET_B" --security-groups "$ALB_SG")
	ALB_ARN=$(jq -r '.LoadBalancers[0].LoadBalancerArn' <<<"$out")
	expect "new ALB state" "$(jq -r '.LoadBalancers[0].State.Code' <<<"$out")" provisioning
	expect_match "ALB DNS name" "$(jq -r '.LoadBalancers[0].DNSName' <<<"$out")" '^journey-php-[0-9a-z]+\.us-east-1\.elb\.amazonaws\.com$'
	poll "the ALB to be active" "$(poll_limit 600)" '.LoadBalancers[0].State.Code == "active"' \
		elbv2 describe-load-balancers --load-balancer-arns "$ALB_ARN"
	"$AWS_CLI" --endpoint-url "$URL" elbv2 wait load-balancer-available --load-balancer-arns "$ALB_ARN"
}

http_listener() {
	local out
	out=$(awsj elbv2 create-listener --load-balancer-arn "$ALB_ARN" --protocol HTTP --port 80 \
		--default-actions "Type=forward,TargetGroupArn=$TG_ARN")
	HTTP_LISTENER_ARN=$(jq -r '.Listeners[0].ListenerArn' <<<"$out")
	out=$(awsj elbv2 describe-target-groups --target-group-arns "$TG_ARN")
	expect "target group attached" "$(jq -r '.TargetGroups[0].LoadBalancerArns[0]' <<<"$out")" "$ALB_ARN"
}

certificate() {
	CERT_ARN=$(awsj acm request-certificate --domain-name "$DOMAIN" --validation-method DNS \
		--idempotency-token journey | jq -r .CertificateArn)
	expect_match "certificate ARN" "$CERT_ARN" "^arn:aws:acm:us-east-1:$ACCOUNT:certificate/[0-9a-f-]{36}$"
	poll "the validation CNAME" "$(poll_limit 60)" '.Certificate.DomainValidationOptions[0].ResourceRecord.Name != null' \
		acm describe-certificate --certificate-arn "$CERT_ARN"
	expect "status" "$(jq -r .Certificate.Status <<<"$polled")" PENDING_VALIDATION
	CNAME_NAME=$(jq -r '.Certificate.DomainValidationOptions[0].ResourceRecord.Name' <<<"$polled")
	CNAME_VALUE=$(jq -r '.Certificate.DomainValidationOptions[0].ResourceRecord.Value' <<<"$polled")
	expect_match "CNAME name" "$CNAME_NAME" '^_[0-9a-f]{32}\.app\.example\.com\.$'
	expect_match "CNAME value" "$CNAME_VALUE" '^_[0-9a-f]{32}\.[a-z]+\.acm-validations\.aws\.$'
	echo "    add at your DNS provider: $CNAME_NAME CNAME $CNAME_VALUE"
}

https_refused_while_pending() {
	expect_error UnsupportedCertificate elbv2 create-listener --load-balancer-arn "$ALB_ARN" --protocol HTTPS --port 443 \
		--certificates "CertificateArn=$CERT_ARN" --default-actions "Type=forward,TargetGroupArn=$TG_ARN"
}

# Another request with the same idempotency token is the same certificate;
# without it, a new certificate with its own record, which can be deleted.
certificate_identity() {
	expect "same idempotency token, same certificate" \
		"$(awsj acm request-certificate --domain-name "$DOMAIN" --validation-method DNS --idempotency-token journey | jq -r .CertificateArn)" "$CERT_ARN"
	local other
	other=$(awsj acm request-certificate --domain-name "$DOMAIN" --validation-method DNS | jq -r .CertificateArn)
	poll "the second certificate's CNAME" "$(poll_limit 60)" '.Certificate.DomainValidationOptions[0].ResourceRecord.Name != null' \
		acm describe-certificate --certificate-arn "$other"
	[[ $(jq -r '.Certificate.DomainValidationOptions[0].ResourceRecord.Name' <<<"$polled") != "$CNAME_NAME" ]] ||
		fail "two certificates share the CNAME $CNAME_NAME"
	awsj acm delete-certificate --certificate-arn "$other" >/dev/null
	expect_error ResourceNotFoundException acm describe-certificate --certificate-arn "$other"
}

service() {
	local out
	out=$(awsj ecs create-service --cluster journey --service-name journey-php --task-definition journey-php:1 \
		--desired-count 2 --launch-type FARGATE \
		--network-configuration "awsvpcConfiguration={subnets=[$SUBNET_A,$SUBNET_B],securityGroups=[$TASK_SG],assignPublicIp=ENABLED}" \
		--load-balancers "targetGroupArn=$TG_ARN,containerName=web,containerPort=8080" \
		--deployment-configuration 'deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100')
	expect "service status" "$(jq -r .service.status <<<"$out")" ACTIVE
	expect "service cluster" "$(jq -r .service.clusterArn <<<"$out")" "$CLUSTER_ARN"
	expect "task definition" "$(jq -r .service.taskDefinition <<<"$out")" "$TASKDEF_ARN"
	expect "one PRIMARY deployment" "$(jq -r '.service.deployments | map(.status) | join(",")' <<<"$out")" PRIMARY
}

service_stable() {
	poll "the service to be stable" "$(poll_limit 1800)" \
		'.services[0] | (.deployments | length) == 1 and .runningCount == 2 and .deployments[0].rolloutState == "COMPLETED"' \
		ecs describe-services --cluster journey --services journey-php
	"$AWS_CLI" --endpoint-url "$URL" ecs wait services-stable --cluster journey --services journey-php
	expect_match "steady-state event" "$(jq -r '.services[0].events[0].message' <<<"$polled")" 'has reached a steady state\.$'
}

healthy_targets() {
	poll "two healthy targets" "$(poll_limit 1800)" '[.TargetHealthDescriptions[] | select(.TargetHealth.State == "healthy")] | length == 2' \
		elbv2 describe-target-health --target-group-arn "$TG_ARN"
	"$AWS_CLI" --endpoint-url "$URL" elbv2 wait target-in-service --target-group-arn "$TG_ARN"
	TARGET_IPS=$(jq -r '[.TargetHealthDescriptions[].Target.Id] | sort | join(" ")' <<<"$polled")
	expect "target ports" "$(jq -r '[.TargetHealthDescriptions[].Target.Port] | unique | join(",")' <<<"$polled")" 8080
}

task_public_ip() {
	local tasks out eni
	tasks=$(awsj ecs list-tasks --cluster journey --service-name journey-php | jq -r '.taskArns[]')
	expect "task count" "$(wc -w <<<"$tasks" | tr -d ' ')" 2
	# shellcheck disable=SC2086 # one argument per task ARN
	out=$(awsj ecs describe-tasks --cluster journey --tasks $tasks)
	expect "task states" "$(jq -r '[.tasks[].lastStatus] | unique | join(",")' <<<"$out")" RUNNING
	expect "task private IPs are the targets" \
		"$(jq -r '[.tasks[].attachments[0].details[] | select(.name == "privateIPv4Address") | .value] | sort | join(" ")' <<<"$out")" "$TARGET_IPS"
	eni=$(jq -r '.tasks[0].attachments[0].details[] | select(.name == "networkInterfaceId") | .value' <<<"$out")
	out=$(awsj ec2 describe-network-interfaces --network-interface-ids "$eni")
	TASK_PUBLIC_IP=$(jq -r '.NetworkInterfaces[0].Association.PublicIp' <<<"$out")
	expect_match "task public IP" "$TASK_PUBLIC_IP" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
	echo "    task ENI $eni, public IP $TASK_PUBLIC_IP"
}

task_logs() {
	poll "log lines from the web container" "$(poll_limit 600)" '.events | length > 0' \
		logs filter-log-events --log-group-name /ecs/journey-php --log-stream-name-prefix ecs/web/
}

https_listener() {
	poll "the certificate to be issued" "$(($(real_seconds "${CERT_DELAY%s}") + 120))" '.Certificate.Status == "ISSUED"' \
		acm describe-certificate --certificate-arn "$CERT_ARN"
	"$AWS_CLI" --endpoint-url "$URL" acm wait certificate-validated --certificate-arn "$CERT_ARN"
	local out
	out=$(awsj elbv2 create-listener --load-balancer-arn "$ALB_ARN" --protocol HTTPS --port 443 \
		--certificates "CertificateArn=$CERT_ARN" --default-actions "Type=forward,TargetGroupArn=$TG_ARN")
	expect "HTTPS listener certificate" "$(jq -r '.Listeners[0].Certificates[0].CertificateArn' <<<"$out")" "$CERT_ARN"
	expect_match "default SSL policy" "$(jq -r '.Listeners[0].SslPolicy' <<<"$out")" '^ELBSecurityPolicy-'
	expect "certificate in use by the ALB" \
		"$(awsj acm describe-certificate --certificate-arn "$CERT_ARN" | jq -r '.Certificate.InUseBy | join(",")')" "$ALB_ARN"
	expect_error ResourceInUseException acm delete-certificate --certificate-arn "$CERT_ARN"
}

redirect_http() {
	local out
	out=$(awsj elbv2 modify-listener --listener-arn "$HTTP_LISTENER_ARN" --default-actions \
		'[{"Type":"redirect","RedirectConfig":{"Protocol":"HTTPS","Port":"443","Host":"#{host}","Path":"/#{path}","Query":"#{query}","StatusCode":"HTTP_301"}}]')
	expect "HTTP listener now redirects" "$(jq -r '.Listeners[0].DefaultActions[0].RedirectConfig.Protocol' <<<"$out")" HTTPS
}

reject_bad_fargate_size() {
	jq '.cpu = "256" | .memory = "4096"' "$work/taskdef.json" >"$work/bad-size.json"
	expect_error ClientException ecs register-task-definition --cli-input-json "file://$work/bad-size.json"
}

reject_one_subnet_alb() {
	expect_error ValidationError elbv2 create-load-balancer --name journey-one-subnet --subnets "$SUBNET_A" --security-groups "$ALB_SG"
}

reject_https_without_certificate() {
	expect_error ValidationError elbv2 create-listener --load-balancer-arn "$ALB_ARN" --protocol HTTPS --port 8443 \
		--default-actions "Type=forward,TargetGroupArn=$TG_ARN"
	expect_error CertificateNotFound elbv2 create-listener --load-balancer-arn "$ALB_ARN" --protocol HTTPS --port 8443 \
		--certificates "CertificateArn=arn:aws:acm:us-east-1:$ACCOUNT:certificate/00000000-0000-4000-8000-000000000000" \
		--default-actions "Type=forward,TargetGroupArn=$TG_ARN"
}

reject_update_to_deregistered_revision() {
	jq '.containerDefinitions[0].environment[0].value = "redis.internal"' "$work/taskdef.json" >"$work/taskdef2.json"
	local out
	out=$(awsj ecs register-task-definition --cli-input-json "file://$work/taskdef2.json")
	expect "second revision" "$(jq -r .taskDefinition.revision <<<"$out")" 2
	out=$(awsj ecs deregister-task-definition --task-definition journey-php:2)
	expect "deregistered" "$(jq -r .taskDefinition.status <<<"$out")" INACTIVE
	expect_error InvalidParameterException ecs update-service --cluster journey --service journey-php --task-definition journey-php:2
}

step "build ecsconsole" build
step "start the sandbox" start_sandbox
step "sts get-caller-identity" caller_identity
step "default VPC and subnets" default_network
step "ALB and task security groups with ingress rules" security_groups
step "log group and two-container Fargate task definition" task_definition
step "cluster" cluster
step "target group (ip, 8080)" target_group
step "ALB on two subnets, wait until active" load_balancer
step "HTTP listener forwarding to the target group" http_listener
step "certificate request and its CNAME record" certificate
step "HTTPS listener refused while pending" https_refused_while_pending
step "idempotency token; a second certificate has its own CNAME" certificate_identity
step "service behind the ALB with public IPs" service
step "ecs wait services-stable" service_stable
step "healthy targets" healthy_targets
step "task public IP via describe-network-interfaces" task_public_ip
step "task log lines in CloudWatch Logs" task_logs
step "HTTPS listener accepted once ISSUED" https_listener
step "redirect HTTP to HTTPS" redirect_http
step "reject: bad Fargate size (ClientException)" reject_bad_fargate_size
step "reject: one-subnet ALB (ValidationError)" reject_one_subnet_alb
step "reject: HTTPS without a certificate (ValidationError)" reject_https_without_certificate
step "reject: update to a deregistered revision" reject_update_to_deregistered_revision

printf '\nawscli journey passed in %s s at speed %s\n' "$(seconds_since "$journey_start")" "$SPEED"
printf '%s\n' "${timings[@]}"
