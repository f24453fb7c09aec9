package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ecsState is the ECS part of a region. Every field is plain data so the
// world can be JSON-snapshotted; scheduled transitions live in the event queue.
type ecsState struct {
	// Families holds task definitions by family name.
	Families map[string]*taskDefFamily
	// Clusters holds clusters (with their services and tasks) by name.
	Clusters map[string]*clusterRecord
}

// registerECS adds the ecs operations to s.
func (s *Server) registerECS() {
	ops := map[string]jsonOp{
		"RegisterTaskDefinition":      ecsOp(registerTaskDefinition),
		"DescribeTaskDefinition":      ecsOp(describeTaskDefinition),
		"ListTaskDefinitions":         ecsOp(listTaskDefinitions),
		"ListTaskDefinitionFamilies":  ecsOp(listTaskDefinitionFamilies),
		"DeregisterTaskDefinition":    ecsOp(deregisterTaskDefinition),
		"CreateCluster":               ecsOp(createCluster),
		"DescribeClusters":            ecsOp(describeClusters),
		"ListClusters":                ecsOp(listClusters),
		"PutClusterCapacityProviders": ecsOp(putClusterCapacityProviders),
		"CreateService":               ecsOp(createService),
		"UpdateService":               ecsOp(updateService),
		"DescribeServices":            ecsOp(describeServices),
		"ListServices":                ecsOp(listServices),
		"DeleteService":               ecsOp(deleteService),
		"ListTasks":                   ecsOp(listTasks),
		"DescribeTasks":               ecsOp(describeTasks),
		"StopTask":                    ecsOp(stopTask),
		"TagResource":                 ecsOp(tagResource),
		"UntagResource":               ecsOp(untagResource),
		"ListTagsForResource":         ecsOp(listTagsForResource),
		"ListServiceDeployments":      ecsOp(listServiceDeployments),
		"DescribeServiceDeployments":  ecsOp(describeServiceDeployments),
		"DescribeServiceRevisions":    ecsOp(describeServiceRevisions),
		"StopServiceDeployment":       ecsOp(stopServiceDeployment),
		"ContinueServiceDeployment":   ecsOp(continueServiceDeployment),
	}
	for name, op := range ops {
		s.jsonOps[ecsTargetPrefix+name] = op
	}
}

// ecsOp adapts a typed handler to a jsonOp: it decodes the request body into
// In, makes sure the region's ECS state is initialised and encodes the result.
func ecsOp[In any](fn func(c *call, in *In) (any, error)) jsonOp {
	return func(c *call, body []byte) (any, error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, clientErr("SerializationException", "%s", err.Error())
			}
		}
		c.w.ensureECS()
		out, err := fn(c, &in)
		if err != nil {
			return nil, err
		}
		// Marshal now, under the server lock: the views share slices with
		// state that scheduled events keep changing.
		buf, err := json.Marshal(out)
		return json.RawMessage(buf), err
	}
}

// ensureECS allocates the region's ECS maps on first use (the seeded world
// starts with an empty ecsState).
func (w *world) ensureECS() {
	if w.ecs.Families == nil {
		w.ecs.Families = map[string]*taskDefFamily{}
	}
	if w.ecs.Clusters == nil {
		w.ecs.Clusters = map[string]*clusterRecord{}
	}
}

// ecsARN builds an ECS ARN in this region and account; resource is e.g.
// "cluster/prod".
func (w *world) ecsARN(resource string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:%s", w.region, w.account, resource)
}

// callerARN is the principal shown in registeredBy/createdBy.
func (w *world) callerARN() string {
	return fmt.Sprintf("arn:aws:iam::%s:root", w.account)
}

// ecsResourceName returns the last path element of an ECS ARN, or ref itself
// when it is not an ARN: "arn:…:cluster/prod" and "prod" both give "prod".
func ecsResourceName(ref string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return ref[strings.LastIndex(ref, "/")+1:]
}

// failure is one entry of a Describe* call's failures list.
type failure struct {
	Arn    string `json:"arn,omitempty"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// missing is the failure Describe* calls report for unknown resources.
func missing(arn string) failure { return failure{Arn: arn, Reason: "MISSING"} }

// includes reports whether the include list asks for field (e.g. "TAGS").
func includes(include []string, field string) bool {
	for _, f := range include {
		if f == field {
			return true
		}
	}
	return false
}

// ecsPage cuts one page out of items for the List* operations. The token is
// the offset of the page's first item; on the last page next is nil, so the
// SDK paginators stop.
func ecsPage[T any](items []T, token string, maxResults *int32, defaultMax int32) (page []T, next *string, err error) {
	size := defaultMax
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 100 {
			return nil, nil, clientErr("InvalidParameterException", "maxResults must be between 1 and 100.")
		}
		size = *maxResults
	}
	start := 0
	if token != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(token)
		n, aerr := strconv.Atoi(string(raw))
		if derr != nil || aerr != nil || n < 0 || n > len(items) {
			return nil, nil, clientErr("InvalidParameterException", "Invalid nextToken.")
		}
		start = n
	}
	end := min(start+int(size), len(items))
	page = items[start:end]
	if end < len(items) {
		t := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		next = &t
	}
	if page == nil {
		page = []T{}
	}
	return page, next, nil
}

// restore reschedules what was in flight in state loaded from a snapshot:
// each unfinished task's next lifecycle step (due at once if its time has
// passed), stopped tasks' expiry, and a reconcile pass per live service.
func (e *ecsState) restore(w *world) {
	w.ensureECS()
	for _, cl := range e.Clusters {
		for _, t := range cl.Tasks {
			w.resumeTask(cl, t)
		}
		for _, svc := range cl.Services {
			svc.ReconcilePending = false
			if svc.Status != "INACTIVE" {
				w.scheduleReconcile(cl, svc, time.Time(svc.primary().UpdatedAt))
				w.restoreServiceDeployment(cl, svc)
			}
		}
	}
}
