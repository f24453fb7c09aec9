package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/livestate"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// servicesPerPage bounds one page of the Services page: each service on it
// costs a few (cached) AWS reads.
const servicesPerPage = 25

// servicesAWSBudget bounds all the AWS reads of one Services page: past
// it, the page shows what the database knows and marks what AWS did not
// say, however many services and clusters are on it.
const servicesAWSBudget = 10 * time.Second

// liveService reads a service's live state through the cache. version
// names what the console last did to the service (its latest deployment
// and that deployment's status), so a deployment that finishes is never
// shown against AWS's state from before it.
func (s *Server) liveService(ctx context.Context, region, cluster, service, version string) (livestate.Service, error) {
	return s.live.Get(ctx, region+"/"+cluster+"/"+service+"@"+version, func(ctx context.Context) (livestate.Service, error) {
		return s.services.ReadService(ctx, region, cluster, service)
	})
}

func (s *Server) servicesPage(w http.ResponseWriter, r *http.Request) error {
	me, _ := userFrom(r.Context())
	key := servicesKey{
		cursor:    r.URL.Query().Get("cursor"),
		canDeploy: me.Role.AtLeast(store.RoleDeployer),
		liveOnly:  r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "services-live",
	}
	content, err := s.views.services.Get(r.Context(), key, func(ctx context.Context) (*fragment, error) {
		v, err := s.servicesView(ctx, key.cursor, key.canDeploy)
		if err != nil {
			return nil, err
		}
		if key.liveOnly {
			return newFragment(ctx, web.ServicesLive(v))
		}
		return newFragment(ctx, web.ServicesContent(v, key.canDeploy))
	})
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "HX-Request, HX-Target")
	if key.liveOnly {
		s.renderFragment(w, r, http.StatusOK, nil, content)
		return nil
	}
	p := s.page(r, "Services", "services")
	s.renderFragment(w, r, http.StatusOK, &p, content)
	return nil
}

// servicesView is a page of the Services page: the services the console
// deployed, by key from cursor, each with AWS's view of it, and the
// services of their clusters it did not deploy.
func (s *Server) servicesView(ctx context.Context, cursor string, canDeploy bool) (web.ServicesView, error) {
	list, next, err := s.store.ListServices(ctx, cursor, servicesPerPage)
	if err != nil {
		return web.ServicesView{}, err
	}
	ids := make([]int64, 0, len(list))
	for _, sv := range list {
		if sv.LastSucceeded != nil {
			ids = append(ids, sv.LastSucceeded.ID)
		}
	}
	specs, err := s.store.Specs(ctx, ids)
	if err != nil {
		return web.ServicesView{}, err
	}
	keys := make([]string, len(list))
	for i, sv := range list {
		keys[i] = sv.Latest.ServiceKey
	}
	freezes, err := s.store.Freezes(ctx, keys) // one query for the page (freeze.go)
	if err != nil {
		return web.ServicesView{}, err
	}
	v := web.ServicesView{NextCursor: next, Cursor: cursor, Rows: make([]web.ServiceRow, len(list))}
	awsCtx, cancel := context.WithTimeout(ctx, servicesAWSBudget)
	defer cancel()
	// The clusters are listed while the services are read.
	unmanaged := make(chan struct{})
	go func() {
		defer close(unmanaged)
		v.Unmanaged, v.Unread = s.unmanagedServices(ctx, awsCtx, list)
	}()
	// Each service's live state is read concurrently, a few at a time.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, sv := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			v.Rows[i] = s.serviceRow(awsCtx, sv, specs, canDeploy)
			if f, ok := freezes[sv.Latest.ServiceKey]; ok {
				v.Rows[i].Frozen = freezeNote(f)
			}
		}()
	}
	wg.Wait()
	<-unmanaged
	return v, nil
}

func (s *Server) serviceRow(ctx context.Context, sv store.ServiceSummary, specs map[int64][]byte, canDeploy bool) web.ServiceRow {
	l := sv.Latest
	row := web.ServiceRow{
		Service: l.ServiceKey, Name: l.Service, LatestID: l.ID, LatestStatus: string(l.Status),
		LatestWhen: l.CreatedAt.UTC().Format("2006-01-02 15:04"), CanDeploy: canDeploy, Images: l.Images,
	}
	var serving *ecsconsole.Deployment
	if sv.LastSucceeded != nil {
		serving = sv.LastSucceeded
		row.ServingID, row.URL, row.Images = serving.ID, serving.Outputs.URL, serving.Images
		row.Revision = revisionName(serving.TaskDefinitionARN)
		if serving.Outputs.URL == "" {
			row.Addresses = taskURLs(specs[serving.ID], serving.Outputs.Tasks)
		}
	}
	live, err := s.liveService(ctx, l.Region, l.Cluster, l.Service, fmt.Sprintf("%d-%s", l.ID, l.Status))
	if err != nil {
		s.logger.Warn("reading service", "request_id", requestID(ctx), "service", l.ServiceKey, "error", err.Error())
		row.Problem = "AWS could not be asked about this service just now."
		return row
	}
	if !live.Found {
		row.Problem = "ECS does not know this service (deleted outside the console, or never created)."
		return row
	}
	row.Live = true
	row.Running, row.Desired, row.Pending = int(live.Running), int(live.Desired), int(live.Pending)
	row.Rollout = strings.ToLower(strings.ReplaceAll(live.RolloutState, "_", " "))
	if live.Deployments > 1 {
		row.Rollout = fmt.Sprintf("%s (%d ECS deployments)", row.Rollout, live.Deployments)
	}
	row.LiveRevision = revisionName(live.TaskDefinitionARN)
	for _, t := range live.Targets {
		row.Targets = append(row.Targets, web.TargetRow{ID: t.ID, Port: t.Port, State: t.State, Reason: t.Reason})
		switch t.State {
		case "healthy":
			row.Healthy++
			row.Serving++
		case "draining": // leaving: not counted as serving or missing
		default:
			row.Serving++
		}
	}
	for _, t := range live.Tasks {
		tr := web.LiveTaskRow{ID: web.ShortARN(t.ARN), LastStatus: strings.ToLower(t.LastStatus), Health: strings.ToLower(t.Health), PrivateIP: t.PrivateIP, Revision: revisionName(t.TaskDefinitionARN)}
		for _, c := range t.Containers {
			if c.Digest != "" {
				tr.Digests = append(tr.Digests, c.Name+" "+web.ShortDigest(c.Digest))
			}
		}
		row.Tasks = append(row.Tasks, tr)
	}
	sort.Slice(row.Tasks, func(i, j int) bool { return row.Tasks[i].ID < row.Tasks[j].ID })
	for _, ev := range live.Events[:min(3, len(live.Events))] {
		row.Events = append(row.Events, web.EventRow{At: ev.At.UTC().Format("01-02 15:04:05"), Message: ev.Message})
	}
	if serving != nil {
		row.Drift = drift(*serving, specs[serving.ID], live)
		s.driftSetBy(ctx, &row, *serving, live)
	}
	return row
}

// driftSetBy names the console's own later deployment that set the
// revision the service runs, when one did: the drift is then the
// console's, not someone's outside it.
func (s *Server) driftSetBy(ctx context.Context, row *web.ServiceRow, serving ecsconsole.Deployment, live livestate.Service) {
	if len(row.Drift) == 0 || live.TaskDefinitionARN == serving.TaskDefinitionARN {
		return
	}
	id, status, err := s.engine.RevisionSetBy(ctx, serving.ServiceKey, serving.ID, live.TaskDefinitionARN)
	if err != nil {
		s.logger.Warn("reading which deployment set a revision", "request_id", requestID(ctx), "service", serving.ServiceKey, "error", err.Error())
		return
	}
	if id != 0 {
		row.DriftSetBy, row.DriftSetByStatus = id, web.StatusLabel(string(status))
		row.DriftOutside = len(row.Drift) > 1
	}
}

// drift lists how the live service differs from the last deployment the
// console recorded for it: task definition, desired count, load balancer
// wiring.
func drift(d ecsconsole.Deployment, rawSpec []byte, live livestate.Service) []web.KeyValue {
	var out []web.KeyValue
	if d.TaskDefinitionARN != "" && live.TaskDefinitionARN != d.TaskDefinitionARN && live.Deployments <= 1 {
		out = append(out, web.KeyValue{Key: "task definition", Value: fmt.Sprintf("deployed %s, running %s", revisionName(d.TaskDefinitionARN), revisionName(live.TaskDefinitionARN))})
	}
	var spec ecsconsole.Spec
	if json.Unmarshal(rawSpec, &spec) != nil {
		return out
	}
	if spec.Service.DesiredCount != nil && *spec.Service.DesiredCount != live.Desired {
		out = append(out, web.KeyValue{Key: "desired count", Value: fmt.Sprintf("deployed %d, now %d", *spec.Service.DesiredCount, live.Desired)})
	}
	wantTG := d.Outputs.ARNs["targetGroup"]
	switch {
	case spec.LoadBalancer == nil && len(live.TargetGroupARNs) > 0:
		out = append(out, web.KeyValue{Key: "load balancer", Value: "deployed without one, now attached to " + web.ShortARN(live.TargetGroupARNs[0])})
	case spec.LoadBalancer != nil && wantTG != "" && !slices.Contains(live.TargetGroupARNs, wantTG):
		now := "no target group"
		if len(live.TargetGroupARNs) > 0 {
			now = web.ShortARN(live.TargetGroupARNs[0])
		}
		out = append(out, web.KeyValue{Key: "load balancer", Value: fmt.Sprintf("deployed behind target group %s, now %s", web.ShortARN(wantTG), now)})
	case spec.LoadBalancer != nil && live.LoadBalancerContainer != "" &&
		(live.LoadBalancerContainer != spec.LoadBalancer.TargetGroup.ContainerName || live.LoadBalancerContainerPort != spec.LoadBalancer.TargetGroup.ContainerPort):
		out = append(out, web.KeyValue{Key: "load balancer", Value: fmt.Sprintf("deployed to %s:%d, now %s:%d",
			spec.LoadBalancer.TargetGroup.ContainerName, spec.LoadBalancer.TargetGroup.ContainerPort, live.LoadBalancerContainer, live.LoadBalancerContainerPort)})
	}
	return out
}

// unmanagedServices lists the services found in this page's clusters that
// the console never deployed (AWS asked with awsCtx), and the clusters
// whose services AWS did not list.
func (s *Server) unmanagedServices(ctx, awsCtx context.Context, list []store.ServiceSummary) (unmanaged, unread []string) {
	known := map[string]bool{}
	clusters := map[string][2]string{}
	for _, sv := range list {
		known[sv.Latest.ServiceKey] = true
		clusters[sv.Latest.Region+"/"+sv.Latest.Cluster] = [2]string{sv.Latest.Region, sv.Latest.Cluster}
	}
	keys := make([]string, 0, len(clusters))
	for k := range clusters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var candidates []string
	for _, k := range keys {
		rc := clusters[k]
		names, err := s.clusters.Get(awsCtx, k, func(ctx context.Context) ([]string, error) {
			return s.services.ClusterServices(ctx, rc[0], rc[1])
		})
		if err != nil {
			s.logger.Warn("listing a cluster's services", "request_id", requestID(ctx), "cluster", k, "error", err.Error())
			unread = append(unread, k)
			continue
		}
		for _, n := range names {
			if key := k + "/" + n; !known[key] {
				candidates = append(candidates, key)
			}
		}
	}
	// Services on other pages of this list are deployed too: one query
	// for all of them. Unread, every candidate is shown.
	deployed, _ := s.store.DeployedServices(ctx, candidates)
	for _, key := range candidates {
		if !deployed[key] {
			unmanaged = append(unmanaged, key)
		}
	}
	return unmanaged, unread
}
