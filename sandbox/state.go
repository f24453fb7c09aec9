package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// settleHorizon is how far Save moves simulated time before it takes the
// snapshot. Scheduled events are functions and cannot be saved; an hour is
// long enough for every lifecycle the sandbox simulates (load balancers,
// certificates at the default delay, tasks, deployments, draining) to
// reach a resting state, so little is lost with them.
const settleHorizon = time.Hour

// snapshotVersion is bumped when the snapshot format changes incompatibly.
const snapshotVersion = 1

// snapshot is the saved state of a Server.
type snapshot struct {
	Version int                        `json:"version"`
	Account string                     `json:"account"`
	Time    time.Time                  `json:"time"` // simulated time of the snapshot
	Regions map[string]*regionSnapshot `json:"regions"`
}

// regionSnapshot is one world's service states, which keep their data in
// exported, JSON-marshalable fields for this purpose.
type regionSnapshot struct {
	EC2  *ec2State  `json:"ec2"`
	ELB  *elbState  `json:"elbv2"`
	ECS  *ecsState  `json:"ecs"`
	ACM  *acmState  `json:"acm"`
	Logs *logsState `json:"logs"`
}

// restorer is implemented by a service state that has lifecycles in
// flight after a Load: it reschedules them on the world's event queue.
type restorer interface {
	restore(w *world)
}

// Save writes a JSON snapshot of every region. It first moves simulated
// time forward by settleHorizon (an hour) and runs every event due by then,
// so pending lifecycles settle: the server keeps running afterwards, an
// hour later in simulated time.
func (s *Server) Save(out io.Writer) error {
	s.clock.Advance(settleHorizon)
	buf, err := s.snapshotJSON()
	if err != nil {
		return fmt.Errorf("sandbox: encoding state: %w", err)
	}
	if _, err := out.Write(buf); err != nil {
		return fmt.Errorf("sandbox: writing state: %w", err)
	}
	return nil
}

// Checkpoint writes a JSON snapshot of every region as it is now, without
// settling anything: what is in flight (a load balancer provisioning, tasks
// starting) is rescheduled by Load. It is for saving while the sandbox
// serves, so that a crash loses only what changed since.
func (s *Server) Checkpoint(out io.Writer) error {
	buf, err := s.snapshotJSON()
	if err != nil {
		return fmt.Errorf("sandbox: encoding state: %w", err)
	}
	if _, err := out.Write(buf); err != nil {
		return fmt.Errorf("sandbox: writing state: %w", err)
	}
	return nil
}

// snapshotJSON advances every world to now and encodes them, under s.mu.
func (s *Server) snapshotJSON() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	snap := snapshot{Version: snapshotVersion, Account: s.opts.AccountID, Time: now, Regions: map[string]*regionSnapshot{}}
	for region, w := range s.regions {
		w.advance(now)
		snap.Regions[region] = &regionSnapshot{EC2: w.ec2, ELB: w.elb, ECS: w.ecs, ACM: w.acm, Logs: w.logs}
	}
	return json.MarshalIndent(snap, "", "  ")
}

// Load replaces the regions present in a snapshot written by Save (other
// regions are kept) and moves simulated time forward to the snapshot's
// time if it is behind, so saved timestamps are never in the future.
// The snapshot must be for this server's account.
func (s *Server) Load(in io.Reader) error {
	var snap snapshot
	if err := json.NewDecoder(in).Decode(&snap); err != nil {
		return fmt.Errorf("sandbox: decoding state: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("sandbox: state format version %d, want %d", snap.Version, snapshotVersion)
	}
	if snap.Account != s.opts.AccountID {
		return fmt.Errorf("sandbox: state is for account %s, this sandbox serves account %s", snap.Account, s.opts.AccountID)
	}
	for region, rs := range snap.Regions {
		if rs == nil {
			return fmt.Errorf("sandbox: state for region %s is empty", region)
		}
	}
	if behind := snap.Time.Sub(s.clock.Now()); behind > 0 {
		s.clock.Advance(behind)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for region, rs := range snap.Regions {
		s.regions[region] = rs.world(s.opts.AccountID, region, now, s.opts)
	}
	return nil
}

// world rebuilds a region from its snapshot: a freshly seeded world (for
// what derives from account and region alone) with the saved service
// states in place of the seeded ones, and what was in flight rescheduled.
func (rs *regionSnapshot) world(account, region string, now time.Time, opts Options) *world {
	w := newWorld(account, region, now, opts)
	w.events = eventQueue{}
	w.ec2, w.elb, w.ecs, w.acm, w.logs = orZero(rs.EC2), orZero(rs.ELB), orZero(rs.ECS), orZero(rs.ACM), orZero(rs.Logs)
	for _, st := range []any{w.ec2, w.elb, w.ecs, w.acm, w.logs} {
		if r, ok := st.(restorer); ok {
			r.restore(w)
		}
	}
	return w
}

// orZero returns p, or a new zero value when the snapshot had null.
func orZero[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	return p
}
