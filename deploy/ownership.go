package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ecsconsole/ecsconsole"
)

// Tags the engine puts on everything it creates. The deployment tag lets a
// resumed apply find what an earlier attempt made; the service tag says
// which service the resource belongs to, so another service's deployment
// never takes it over. Tagging a resource ecsconsole:service=<key> by hand
// adopts it for that service (README, "Adopting existing infrastructure").
const (
	tagKey        = "ecsconsole:deployment"
	serviceTagKey = "ecsconsole:service"
)

// Refusal codes a deployment ends with when a step will not take over a
// same-named resource.
const (
	codeOwnedByAnotherService = "ResourceOwnedByAnotherService"
	codeNotOwned              = "ResourceNotOwned"
)

// awsTags turns tags into one SDK's tag type, keys in order.
func awsTags[T any](tags map[string]string, tag func(key, value *string) T) []T {
	var out []T
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, tag(aws.String(k), aws.String(tags[k])))
	}
	return out
}

// tagsOf reads one SDK's tags into a map.
func tagsOf[T any](tags []T, kv func(T) (key, value *string)) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		k, v := kv(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}

// stepCtx is what a step's decide and apply functions get: the spec, the
// deployment (ID 0 while planning), the AWS clients, and the results of
// the steps it depends on.
type stepCtx struct {
	e        *Engine
	spec     *ecsconsole.Spec
	d        ecsconsole.Deployment
	aws      Clients
	node     *graphNode
	results  map[string]result
	shared   *shared
	planning bool
	// park is closed when the step named by parkOn finishes; stop when a
	// sibling step failed, so that a wait ends instead of polling on.
	park, stop <-chan struct{}
}

func (s *stepCtx) l() lookup { return lookup{s.aws} }

// dep is the result of step name, which must be a declared dependency of
// this step or one of theirs: a step reads nothing else.
func (s *stepCtx) dep(name string) result {
	if !s.node.reads[name] {
		panic(fmt.Sprintf("deploy: step %s reads step %s without a declared dependency on it", s.node.name, name))
	}
	return s.results[name]
}

// tagValue is the deployment tag's value.
func (s *stepCtx) tagValue() string { return strconv.FormatInt(s.d.ID, 10) }

// tags are put on everything a step creates.
func (s *stepCtx) tags() map[string]string {
	return map[string]string{tagKey: s.tagValue(), serviceTagKey: s.spec.ServiceKey()}
}

// shared is what the steps of one plan or apply attempt look up once.
type shared struct {
	mu     sync.Mutex
	vpc    string
	owners map[int64]string // deployment id → its service key ("" if unknown)
}

func newShared() *shared { return &shared{owners: map[int64]string{}} }

// vpcID is the VPC of the service's subnets, where the security groups and
// the target group go.
func (s *stepCtx) vpcID(ctx context.Context) (string, error) {
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	if s.shared.vpc != "" {
		return s.shared.vpc, nil
	}
	vpc, err := s.l().vpcOf(ctx, s.spec.Service.Subnets)
	s.shared.vpc = vpc
	return vpc, err
}

// owner is who a resource belongs to, by its tags.
type owner struct {
	deployment int64  // the console deployment that made it; 0 if untagged
	service    string // the service it belongs to; "" if none is known
}

// ownerOf reads a found resource's tags; a deployment tag alone (resources
// made before the service tag existed) is resolved through the store.
func (s *stepCtx) ownerOf(ctx context.Context, tags map[string]string) (owner, error) {
	o := owner{service: tags[serviceTagKey]}
	if v, err := strconv.ParseInt(tags[tagKey], 10, 64); err == nil && v > 0 {
		o.deployment = v
	}
	if o.service != "" || o.deployment == 0 {
		return o, nil
	}
	s.shared.mu.Lock()
	key, ok := s.shared.owners[o.deployment]
	s.shared.mu.Unlock()
	if !ok {
		d, err := s.e.store.Deployment(ctx, o.deployment)
		switch {
		case errors.Is(err, ecsconsole.ErrNotFound):
		case err != nil:
			return o, err
		default:
			key = d.ServiceKey
		}
		s.shared.mu.Lock()
		s.shared.owners[o.deployment] = key
		s.shared.mu.Unlock()
	}
	o.service = key
	return o, nil
}

// claim judges a same-named resource found live. It is this deployment's
// own when an earlier attempt made it (resumed), this service's to reuse
// when the console made it for this service or it was adopted by tag, and
// refused otherwise, with a sentence saying whose it is and what to do
// (otherwise: "name another target group in the spec").
func (s *stepCtx) claim(ctx context.Context, what string, tags map[string]string, otherwise string) (resumed bool, refusal *decision, err error) {
	o, err := s.ownerOf(ctx, tags)
	if err != nil {
		return false, nil, err
	}
	switch {
	case !s.planning && o.deployment == s.d.ID:
		return true, nil, nil
	case o.service == s.spec.ServiceKey():
		return false, nil, nil
	case o.service != "":
		made := ""
		if o.deployment != 0 {
			made = fmt.Sprintf(" (made by deployment #%d)", o.deployment)
		}
		return false, &decision{Action: ecsconsole.ActionRefuse, Code: codeOwnedByAnotherService, Reason: fmt.Sprintf(
			"%s belongs to service %s%s; %s, or deploy that service instead", what, o.service, made, otherwise)}, nil
	}
	by := "was not made by the console"
	if o.deployment != 0 {
		by = fmt.Sprintf("was made by console deployment #%d, which this console does not know", o.deployment)
	}
	return false, &decision{Action: ecsconsole.ActionRefuse, Code: codeNotOwned, Reason: fmt.Sprintf(
		"%s %s; to use it on purpose, tag it %s=%s (README: adopting existing infrastructure), or %s",
		what, by, serviceTagKey, s.spec.ServiceKey(), otherwise)}, nil
}

// owned is claim's answer as a decision: reuse (or update) found, or the
// refusal, or create when an earlier attempt of this deployment made it.
func (s *stepCtx) owned(ctx context.Context, what string, tags map[string]string, otherwise string, found result, reuse decision) (decision, error) {
	resumed, refusal, err := s.claim(ctx, what, tags, otherwise)
	switch {
	case err != nil:
		return decision{}, err
	case refusal != nil:
		refusal.Name, refusal.Found = reuse.Name, found
		return *refusal, nil
	case resumed:
		return decision{Action: ecsconsole.ActionCreate, Name: reuse.Name, Found: found, resumed: true, live: reuse.live,
			alsoUpdate: reuse.Action == ecsconsole.ActionUpdate,
			Reason:     what + " was made by an earlier attempt of this deployment"}, nil
	}
	reuse.Found = found
	return reuse, nil
}
