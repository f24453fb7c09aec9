package sandbox

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Targets and their health (docs/aws-api.md §4.5). A registered target is
// initial until its group serves a load balancer and it has passed
// HealthyThresholdCount checks, one interval apart; deregistered, it drains
// for the group's deregistration delay, then is gone.

func (tg *elbTargetGroup) target(id string, port int) *elbTarget {
	for _, t := range tg.Targets {
		if t.ID == id && t.Port == port {
			return t
		}
	}
	return nil
}

// addTarget registers id:port; re-registering a live target is a no-op and
// re-registering a draining one starts it afresh.
func (w *world) addTarget(tg *elbTargetGroup, id string, port int, zone string, now time.Time) {
	if old := tg.target(id, port); old != nil {
		if old.State != targetDraining {
			return
		}
		tg.Targets = slices.DeleteFunc(tg.Targets, func(t *elbTarget) bool { return t == old })
	}
	t := &elbTarget{ID: id, Port: port, Zone: zone, State: targetInitial, RegisteredAt: now}
	tg.Targets = append(tg.Targets, t)
	w.scheduleHealthChecks(tg, t, now)
}

// scheduleHealthChecks makes t healthy once it has passed the healthy
// threshold of checks, if its group then serves a load balancer. A group
// attached later gets its checks scheduled by startHealthChecks.
func (w *world) scheduleHealthChecks(tg *elbTargetGroup, t *elbTarget, now time.Time) {
	hc := tg.HealthCheck
	passAt := now.Add(time.Duration(hc.Interval*hc.Healthy) * time.Second)
	w.at(passAt, func(time.Time) {
		if t.State == targetInitial && slices.Contains(tg.Targets, t) && len(w.elb.loadBalancersOf(tg.ARN)) > 0 {
			t.State = targetHealthy
		}
	})
}

// startHealthChecks schedules the checks of a group's initial targets; it
// is called when a listener or rule starts forwarding to the group.
func (w *world) startHealthChecks(tgARNs []string, now time.Time) {
	for _, arn := range tgARNs {
		if tg := w.elb.targetGroup(arn); tg != nil {
			for _, t := range tg.Targets {
				if t.State == targetInitial {
					w.scheduleHealthChecks(tg, t, now)
				}
			}
		}
	}
}

// drainTarget starts deregistering t; it disappears after the group's
// deregistration delay.
func (w *world) drainTarget(tg *elbTargetGroup, t *elbTarget, now time.Time) {
	if t.State == targetDraining {
		return
	}
	t.State, t.DrainingSince = targetDraining, now
	w.scheduleDrained(tg, t)
}

// scheduleDrained removes a draining target once the group's
// deregistration delay has passed.
func (w *world) scheduleDrained(tg *elbTargetGroup, t *elbTarget) {
	delay := time.Duration(tg.deregistrationDelay()) * time.Second
	w.at(t.DrainingSince.Add(delay), func(time.Time) {
		tg.Targets = slices.DeleteFunc(tg.Targets, func(o *elbTarget) bool { return o == t })
	})
}

// targetRequest is one member of a RegisterTargets/DeregisterTargets call.
type targetRequest struct {
	ID   string
	Port int
	Zone string
}

// parseTargets reads Targets.member.N, defaulting each port to the group's.
func parseTargets(form url.Values, tg *elbTargetGroup) ([]targetRequest, error) {
	items := memberList(form, "Targets").Items
	if len(items) == 0 {
		return nil, elbValidation("%s", constraintMessage("[]", "targets", "Member must not be null"))
	}
	var out []targetRequest
	for _, item := range items {
		port, present, err := formInt(form, item+".Port", "ValidationError")
		if err != nil {
			return nil, err
		}
		if !present {
			port = tg.Port
		}
		if err := checkPort(item+".port", port); err != nil {
			return nil, err
		}
		out = append(out, targetRequest{ID: form.Get(item + ".Id"), Port: port, Zone: form.Get(item + ".AvailabilityZone")})
	}
	return out, nil
}

// targetZone validates an ip target and finds its AZ: from its subnet when
// the address is in the group's VPC, else the AvailabilityZone given
// (required, "all" or a zone) for another private address.
func (w *world) targetZone(tg *elbTargetGroup, r targetRequest) (string, error) {
	if tg.TargetType != "ip" {
		return "", clientErr("InvalidTarget", "The following targets are not in a running state and can't be registered: '%s' (the sandbox runs no %s targets)", r.ID, tg.TargetType)
	}
	ip, err := netip.ParseAddr(r.ID)
	if err != nil || !ip.Is4() {
		return "", clientErr("InvalidTarget", "The IP address '%s' is not a valid IPv4 address", r.ID)
	}
	for _, sn := range w.ec2.Subnets {
		if sn.VpcID == tg.VpcID && netip.MustParsePrefix(sn.CIDR).Contains(ip) {
			return sn.Zone, nil
		}
	}
	// Outside the VPC, RFC 1918 and shared (100.64.0.0/10) addresses only.
	if !ip.IsPrivate() && !netip.MustParsePrefix("100.64.0.0/10").Contains(ip) {
		return "", clientErr("InvalidTarget", "The IP address '%s' is not in a private range or in the target group's VPC", r.ID)
	}
	if r.Zone == "" {
		return "", elbValidation("You must specify an Availability Zone for IP address '%s', which is outside the VPC", r.ID)
	}
	if r.Zone != "all" && !slices.ContainsFunc(w.ec2.Zones, func(z ec2Zone) bool { return z.Name == r.Zone }) {
		return "", elbValidation("Availability Zone '%s' is not valid", r.Zone)
	}
	return r.Zone, nil
}

func elbRegisterTargets(c *call, form url.Values) (any, error) {
	tg := c.w.elb.targetGroup(form.Get("TargetGroupArn"))
	if tg == nil {
		return nil, errTargetGroupNotFound()
	}
	reqs, err := parseTargets(form, tg)
	if err != nil {
		return nil, err
	}
	zones := make([]string, len(reqs))
	for i, r := range reqs {
		if zones[i], err = c.w.targetZone(tg, r); err != nil {
			return nil, err
		}
	}
	if len(tg.Targets)+len(reqs) > maxTargetsPerGroup {
		return nil, clientErr("TooManyTargets", "You've reached the limit on the number of targets per target group (%d)", maxTargetsPerGroup)
	}
	for i, r := range reqs {
		c.w.addTarget(tg, r.ID, r.Port, zones[i], c.now)
	}
	return nil, nil
}

func elbDeregisterTargets(c *call, form url.Values) (any, error) {
	tg := c.w.elb.targetGroup(form.Get("TargetGroupArn"))
	if tg == nil {
		return nil, errTargetGroupNotFound()
	}
	reqs, err := parseTargets(form, tg)
	if err != nil {
		return nil, err
	}
	var targets []*elbTarget
	for _, r := range reqs {
		t := tg.target(r.ID, r.Port)
		if t == nil {
			return nil, clientErr("InvalidTarget", "The target '%s' on port %d is not registered in the target group", r.ID, r.Port)
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		c.w.drainTarget(tg, t, c.now)
	}
	return nil, nil
}

type targetHealthDescription struct {
	Target struct {
		ID               string `xml:"Id"`
		Port             int
		AvailabilityZone string `xml:",omitempty"`
	}
	HealthCheckPort string `xml:",omitempty"`
	TargetHealth    targetHealth
}

type targetHealth struct {
	State       string
	Reason      string `xml:",omitempty"`
	Description string `xml:",omitempty"`
}

type describeTargetHealthOutput struct {
	TargetHealthDescriptions []targetHealthDescription `xml:"TargetHealthDescriptions>member"`
}

func elbDescribeTargetHealth(c *call, form url.Values) (any, error) {
	st := c.w.elb
	tg := st.targetGroup(form.Get("TargetGroupArn"))
	if tg == nil {
		return nil, errTargetGroupNotFound()
	}
	targets := tg.Targets
	if memberList(form, "Targets").Present {
		reqs, err := parseTargets(form, tg)
		if err != nil {
			return nil, err
		}
		targets = nil
		for _, r := range reqs {
			t := tg.target(r.ID, r.Port)
			if t == nil {
				// Unregistered targets are reported, as unused.
				t = &elbTarget{ID: r.ID, Port: r.Port, Zone: r.Zone}
			}
			targets = append(targets, t)
		}
	}
	inUse := len(st.loadBalancersOf(tg.ARN)) > 0
	out := &describeTargetHealthOutput{}
	for _, t := range targets {
		d := targetHealthDescription{HealthCheckPort: tg.HealthCheck.Port, TargetHealth: t.health(tg, inUse, c.now)}
		if d.HealthCheckPort == "traffic-port" {
			d.HealthCheckPort = strconv.Itoa(t.Port)
		}
		d.Target.ID, d.Target.Port, d.Target.AvailabilityZone = t.ID, t.Port, t.Zone
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
	}
	return out, nil
}

// health is the target's TargetHealth with AWS's reason codes.
func (t *elbTarget) health(tg *elbTargetGroup, inUse bool, now time.Time) targetHealth {
	switch {
	case t.State == "":
		return targetHealth{targetUnused, "Target.NotRegistered", "Target is not registered to the target group"}
	case t.State == targetDraining:
		return targetHealth{targetDraining, "Target.DeregistrationInProgress", "Target deregistration is in progress"}
	case !inUse:
		return targetHealth{targetUnused, "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"}
	case t.State == targetHealthy:
		return targetHealth{State: targetHealthy}
	case now.Before(t.RegisteredAt.Add(time.Duration(tg.HealthCheck.Interval) * time.Second)):
		return targetHealth{targetInitial, "Elb.RegistrationInProgress", "Target registration is in progress"}
	}
	return targetHealth{targetInitial, "Elb.InitialHealthChecking", "Initial health checks in progress"}
}
