package sandbox

import (
	"slices"
	"strings"
)

// clusterRecord is a cluster with everything that lives in it.
type clusterRecord struct {
	Arn                             string
	Name                            string
	Status                          string
	Settings                        []clusterSetting
	CapacityProviders               []string
	DefaultCapacityProviderStrategy []capacityProviderStrategyItem
	Tags                            []ecsTag
	// Services by name; a deleted (INACTIVE) service stays until its name is reused.
	Services map[string]*serviceRecord
	// Tasks by task id, stopped ones included.
	Tasks map[string]*taskRecord
}

// clusterSetting is a cluster setting such as containerInsights.
type clusterSetting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// capacityProviderStrategyItem is one entry of a capacity provider strategy.
type capacityProviderStrategyItem struct {
	CapacityProvider string `json:"capacityProvider"`
	Weight           int32  `json:"weight"`
	Base             int32  `json:"base"`
}

// cluster is a cluster as the API returns it.
type cluster struct {
	ClusterArn                        string                         `json:"clusterArn"`
	ClusterName                       string                         `json:"clusterName"`
	Status                            string                         `json:"status"`
	RegisteredContainerInstancesCount int32                          `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int32                          `json:"runningTasksCount"`
	PendingTasksCount                 int32                          `json:"pendingTasksCount"`
	ActiveServicesCount               int32                          `json:"activeServicesCount"`
	Statistics                        []keyValuePair                 `json:"statistics"`
	Tags                              []ecsTag                       `json:"tags"`
	Settings                          []clusterSetting               `json:"settings,omitempty"`
	CapacityProviders                 []string                       `json:"capacityProviders"`
	DefaultCapacityProviderStrategy   []capacityProviderStrategyItem `json:"defaultCapacityProviderStrategy"`
}

// isFargateProvider reports whether p is one of the capacity providers
// every cluster can associate (the only ones the sandbox knows).
func isFargateProvider(p string) bool { return p == "FARGATE" || p == "FARGATE_SPOT" }

// view renders the cluster; tags and settings only when asked, as ECS does.
func (cl *clusterRecord) view(include []string) cluster {
	out := cluster{
		ClusterArn:                      cl.Arn,
		ClusterName:                     cl.Name,
		Status:                          cl.Status,
		Statistics:                      []keyValuePair{},
		Tags:                            []ecsTag{},
		CapacityProviders:               nonNil(slices.Clone(cl.CapacityProviders)),
		DefaultCapacityProviderStrategy: nonNil(slices.Clone(cl.DefaultCapacityProviderStrategy)),
	}
	for _, t := range cl.Tasks {
		switch {
		case t.LastStatus == "RUNNING":
			out.RunningTasksCount++
		case t.LastStatus != "STOPPED":
			out.PendingTasksCount++
		}
	}
	for _, s := range cl.Services {
		if s.Status == "ACTIVE" {
			out.ActiveServicesCount++
		}
	}
	if includes(include, "TAGS") {
		out.Tags = nonNil(slices.Clone(cl.Tags))
	}
	if includes(include, "SETTINGS") {
		out.Settings = nonNil(slices.Clone(cl.Settings))
	}
	return out
}

// cluster resolves a cluster reference (name or ARN; "" means "default").
func (e *ecsState) cluster(ref string) (*clusterRecord, error) {
	if ref == "" {
		ref = "default"
	}
	cl := e.Clusters[ecsResourceName(ref)]
	if cl == nil {
		return nil, clientErr("ClusterNotFoundException", "Cluster not found.")
	}
	return cl, nil
}

type createClusterInput struct {
	ClusterName                     string                         `json:"clusterName"`
	Tags                            []ecsTag                       `json:"tags"`
	Settings                        []clusterSetting               `json:"settings"`
	CapacityProviders               []string                       `json:"capacityProviders"`
	DefaultCapacityProviderStrategy []capacityProviderStrategyItem `json:"defaultCapacityProviderStrategy"`
}

type clusterOutput struct {
	Cluster cluster `json:"cluster"`
}

// createCluster returns the existing cluster when the name is taken, as ECS does.
func createCluster(c *call, in *createClusterInput) (any, error) {
	name := in.ClusterName
	if name == "" {
		name = "default"
	}
	if !validName(name) {
		return nil, clientErr("InvalidParameterException", "Cluster name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores, and hyphens.")
	}
	if cl := c.w.ecs.Clusters[name]; cl != nil {
		return clusterOutput{Cluster: cl.view([]string{"TAGS", "SETTINGS"})}, nil
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	for _, s := range in.Settings {
		if s.Name != "containerInsights" || (s.Value != "enabled" && s.Value != "disabled" && s.Value != "enhanced") {
			return nil, clientErr("InvalidParameterException", "Invalid cluster setting %s=%s.", s.Name, s.Value)
		}
	}
	if err := validateCapacityProviders(in.CapacityProviders, in.DefaultCapacityProviderStrategy); err != nil {
		return nil, err
	}
	settings := in.Settings
	if len(settings) == 0 {
		settings = []clusterSetting{{Name: "containerInsights", Value: "disabled"}}
	}
	cl := &clusterRecord{
		Arn:                             c.w.ecsARN("cluster/" + name),
		Name:                            name,
		Status:                          "ACTIVE",
		Settings:                        settings,
		CapacityProviders:               in.CapacityProviders,
		DefaultCapacityProviderStrategy: in.DefaultCapacityProviderStrategy,
		Tags:                            in.Tags,
		Services:                        map[string]*serviceRecord{},
		Tasks:                           map[string]*taskRecord{},
	}
	c.w.ecs.Clusters[name] = cl
	return clusterOutput{Cluster: cl.view([]string{"TAGS", "SETTINGS"})}, nil
}

// validateCapacityProviders checks providers and a default strategy against
// the CapacityProviderStrategyItem rules (only Fargate providers exist here).
func validateCapacityProviders(providers []string, strategy []capacityProviderStrategyItem) error {
	for _, p := range providers {
		if !isFargateProvider(p) {
			return clientErr("InvalidParameterException", "The specified capacity provider '%s' is not in an ACTIVE state. Specify a valid capacity provider and try again.", p)
		}
	}
	return validateStrategy(strategy, providers)
}

// validateStrategy checks a capacity provider strategy; every provider it
// names must be among associated.
func validateStrategy(strategy []capacityProviderStrategyItem, associated []string) error {
	if len(strategy) > 6 {
		return clientErr("InvalidParameterException", "A capacity provider strategy can contain a maximum of 6 capacity providers.")
	}
	withBase, withWeight := 0, 0
	for _, item := range strategy {
		if !slices.Contains(associated, item.CapacityProvider) {
			return clientErr("InvalidParameterException", "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")
		}
		if item.Weight < 0 || item.Weight > 1000 || item.Base < 0 || item.Base > 100000 {
			return clientErr("InvalidParameterException", "Capacity provider strategy weight must be 0-1000 and base 0-100000.")
		}
		if item.Base > 0 {
			withBase++
		}
		if item.Weight > 0 {
			withWeight++
		}
	}
	if withBase > 1 {
		return clientErr("InvalidParameterException", "Only one capacity provider in a strategy can have a base defined.")
	}
	if len(strategy) > 1 && withWeight == 0 {
		return clientErr("InvalidParameterException", "At least one capacity provider in a strategy must have a weight greater than zero.")
	}
	return nil
}

type describeClustersInput struct {
	Clusters []string `json:"clusters"`
	Include  []string `json:"include"`
}

type describeClustersOutput struct {
	Clusters []cluster `json:"clusters"`
	Failures []failure `json:"failures"`
}

func describeClusters(c *call, in *describeClustersInput) (any, error) {
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{"default"}
	}
	if len(refs) > 100 {
		return nil, clientErr("InvalidParameterException", "Clusters cannot have more than 100 elements")
	}
	out := describeClustersOutput{Clusters: []cluster{}, Failures: []failure{}}
	for _, ref := range refs {
		cl, err := c.w.ecs.cluster(ref)
		if err != nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = c.w.ecsARN("cluster/" + ref)
			}
			out.Failures = append(out.Failures, missing(arn))
			continue
		}
		out.Clusters = append(out.Clusters, cl.view(in.Include))
	}
	return out, nil
}

type listClustersInput struct {
	NextToken  string `json:"nextToken"`
	MaxResults *int32 `json:"maxResults"`
}

type listClustersOutput struct {
	ClusterArns []string `json:"clusterArns"`
	NextToken   *string  `json:"nextToken,omitempty"`
}

func listClusters(c *call, in *listClustersInput) (any, error) {
	var arns []string
	for _, name := range sortedKeys(c.w.ecs.Clusters) {
		arns = append(arns, c.w.ecs.Clusters[name].Arn)
	}
	page, next, err := ecsPage(arns, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return listClustersOutput{ClusterArns: page, NextToken: next}, nil
}

type putClusterCapacityProvidersInput struct {
	Cluster                         string                         `json:"cluster"`
	CapacityProviders               []string                       `json:"capacityProviders"`
	DefaultCapacityProviderStrategy []capacityProviderStrategyItem `json:"defaultCapacityProviderStrategy"`
}

// putClusterCapacityProviders replaces the cluster's providers; a provider
// still used by a service cannot be removed.
func putClusterCapacityProviders(c *call, in *putClusterCapacityProvidersInput) (any, error) {
	cl, err := c.w.ecs.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if err := validateCapacityProviders(in.CapacityProviders, in.DefaultCapacityProviderStrategy); err != nil {
		return nil, err
	}
	for _, svc := range cl.Services {
		if svc.Status == "INACTIVE" {
			continue
		}
		for _, item := range svc.CapacityProviderStrategy {
			if !slices.Contains(in.CapacityProviders, item.CapacityProvider) {
				return nil, clientErr("ResourceInUseException", "The specified capacity provider is in use and cannot be removed.")
			}
		}
	}
	cl.CapacityProviders = in.CapacityProviders
	cl.DefaultCapacityProviderStrategy = in.DefaultCapacityProviderStrategy
	return clusterOutput{Cluster: cl.view([]string{"TAGS", "SETTINGS"})}, nil
}
