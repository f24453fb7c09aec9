package sandbox

import (
	"slices"
	"time"
)

// Cross-service helpers: what one service's simulation asks of another's
// (ECS asks EC2 for subnets and ENIs, ELBv2 for target groups, Logs for
// streams). Each is called with s.mu held. The ECS files call these; the
// EC2/ELBv2/Logs files implement them.

// subnetInfo is what other services need to know about a subnet.
type subnetInfo struct {
	ID               string
	VpcID            string
	AvailabilityZone string
	CIDR             string
}

// taskENI is an elastic network interface made for a Fargate task.
type taskENI struct {
	ID         string
	MacAddress string
	PrivateIP  string
	PublicIP   string // empty unless assignPublicIp was ENABLED
	SubnetID   string
}

// lookupSubnet returns the subnet with id, if it exists in this region.
func (w *world) lookupSubnet(id string) (subnetInfo, bool) {
	sn := w.ec2.subnet(id)
	if sn == nil {
		return subnetInfo{}, false
	}
	return subnetInfo{ID: sn.ID, VpcID: sn.VpcID, AvailabilityZone: sn.Zone, CIDR: sn.CIDR}, true
}

// securityGroupExists reports whether a security group id exists.
func (w *world) securityGroupExists(id string) bool {
	return w.ec2.securityGroup(id) != nil
}

// createTaskENI makes an ENI in subnetID with a private IP from its CIDR and,
// when publicIP is set, an associated public IP. description is shown by
// DescribeNetworkInterfaces (ECS uses "arn:aws:ecs:…:attachment/<uuid>").
// The subnet must exist (lookupSubnet first). A full subnet yields an ENI
// with no private IP; the caller should treat that as a launch failure.
func (w *world) createTaskENI(subnetID string, groups []string, publicIP bool, description string) taskENI {
	st := w.ec2
	sn := st.subnet(subnetID)
	if sn == nil {
		return taskENI{}
	}
	ip, _ := sn.allocatePrivateIP()
	eni := &ec2ENI{
		ID:          newEC2ID("eni"),
		SubnetID:    sn.ID,
		VpcID:       sn.VpcID,
		Zone:        sn.Zone,
		Description: description,
		MacAddress:  newMacAddress(),
		PrivateIP:   ip,
		Groups:      slices.Clone(groups),
	}
	if publicIP {
		eni.PublicIP = st.newPublicIP()
	}
	st.ENIs = append(st.ENIs, eni)
	return taskENI{ID: eni.ID, MacAddress: eni.MacAddress, PrivateIP: eni.PrivateIP, PublicIP: eni.PublicIP, SubnetID: eni.SubnetID}
}

// deleteENI removes an ENI (when its task stops).
func (w *world) deleteENI(id string) {
	st := w.ec2
	eni := st.eni(id)
	if eni == nil {
		return
	}
	if sn := st.subnet(eni.SubnetID); sn != nil {
		delete(sn.UsedIPs, eni.PrivateIP)
	}
	st.ENIs = slices.DeleteFunc(st.ENIs, func(e *ec2ENI) bool { return e.ID == id })
}

// targetGroupInfo describes a target group for ECS's CreateService checks.
type targetGroupInfo struct {
	ARN              string
	Name             string
	TargetType       string   // instance | ip | lambda | alb
	Port             int32    // 0 when none
	LoadBalancerArns []string // derived from listeners and rules
}

// lookupTargetGroup returns the target group with arn.
func (w *world) lookupTargetGroup(arn string) (targetGroupInfo, bool) {
	tg := w.elb.targetGroup(arn)
	if tg == nil {
		return targetGroupInfo{}, false
	}
	return targetGroupInfo{
		ARN:              tg.ARN,
		Name:             tg.Name,
		TargetType:       tg.TargetType,
		Port:             int32(tg.Port),
		LoadBalancerArns: w.elb.loadBalancersOf(tg.ARN),
	}, true
}

// registerTarget adds ip:port to a target group as ECS does for a task; its
// health goes initial → healthy on the ELBv2 side's schedule.
// The target's AZ is that of the subnet holding ip.
func (w *world) registerTarget(tgARN, ip string, port int32, now time.Time) {
	tg := w.elb.targetGroup(tgARN)
	if tg == nil {
		return
	}
	zone, _ := w.targetZone(tg, targetRequest{ID: ip, Port: int(port), Zone: "all"})
	w.addTarget(tg, ip, int(port), zone, now)
}

// deregisterTarget starts draining ip:port; it disappears after the
// deregistration delay.
func (w *world) deregisterTarget(tgARN, ip string, port int32, now time.Time) {
	tg := w.elb.targetGroup(tgARN)
	if tg == nil {
		return
	}
	if t := tg.target(ip, int(port)); t != nil {
		w.drainTarget(tg, t, now)
	}
}

// targetState is the target's health state ("initial", "healthy",
// "unhealthy", "draining", "unused"), or "" when not registered.
// A target of a group no load balancer uses is "unused", as
// DescribeTargetHealth reports it.
func (w *world) targetState(tgARN, ip string, port int32) string {
	tg := w.elb.targetGroup(tgARN)
	if tg == nil {
		return ""
	}
	t := tg.target(ip, int(port))
	switch {
	case t == nil:
		return ""
	case t.State == targetDraining:
		return targetDraining
	case len(w.elb.loadBalancersOf(tgARN)) == 0:
		return targetUnused
	}
	return t.State
}

// certificateStatus returns an ACM certificate's status (PENDING_VALIDATION,
// ISSUED, …) so ELBv2 can refuse listeners with unknown or unissued
// certificates; ok is false when the ARN is unknown in this region.
func (w *world) certificateStatus(arn string) (status string, ok bool) {
	cert, ok := w.acm.Certificates[arn]
	if !ok {
		return "", false
	}
	return cert.Status, true
}

// markCertificateInUse adds lbARN to the certificate's InUseBy, as ACM
// shows once a listener serves the certificate.
func (w *world) markCertificateInUse(certARN, lbARN string) {
	if cert, ok := w.acm.Certificates[certARN]; ok && !slices.Contains(cert.InUseBy, lbARN) {
		cert.InUseBy = append(cert.InUseBy, lbARN)
	}
}

// releaseCertificate removes lbARN from the certificate's InUseBy once no
// listener of that load balancer serves it any more (listener or load
// balancer deleted), so DeleteCertificate works again.
func (w *world) releaseCertificate(certARN, lbARN string) {
	if cert, ok := w.acm.Certificates[certARN]; ok {
		cert.InUseBy = slices.DeleteFunc(cert.InUseBy, func(arn string) bool { return arn == lbARN })
	}
}

// logGroupExists reports whether a CloudWatch Logs group exists.
func (w *world) logGroupExists(name string) bool {
	_, ok := w.logs.Groups[name]
	return ok
}

// createLogGroupIfMissing makes a log group (awslogs-create-group=true).
func (w *world) createLogGroupIfMissing(name string, now time.Time) {
	if !w.logGroupExists(name) {
		w.logs.createGroup(name, now)
	}
}

// putLogLines appends lines to a stream (creating it), timestamped and
// ingested at t. Lines for a group that does not exist are dropped, as the
// awslogs driver cannot deliver them either.
func (w *world) putLogLines(group, stream string, lines []string, t time.Time) {
	g, ok := w.logs.Groups[group]
	if !ok {
		return
	}
	s, ok := g.Streams[stream]
	if !ok {
		s = g.createStream(stream, t)
	}
	for _, line := range lines {
		g.append(s, t.UnixMilli(), line, t)
	}
}
