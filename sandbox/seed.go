package sandbox

import "time"

// newWorld seeds a region: default VPC 172.31.0.0/16, one default subnet in
// each of three AZs, the default security group, the execution role.
// (placeholder: filled in by the EC2 implementation)
func newWorld(account, region string, now time.Time, opts Options) *world {
	return &world{account: account, region: region, ec2: &ec2State{}, elb: &elbState{}, ecs: &ecsState{}, acm: &acmState{}, logs: &logsState{}}
}
