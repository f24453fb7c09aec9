// Package catalog lists what already exists in an account and region, for
// people putting a spec together (the wizard's pickers). It makes describe
// and list calls only; the engine (deploy) never uses it.
package catalog

// The catalog: read-only lists of what already exists in an account and
// region, for people putting a spec together (the wizard's pickers). It
// makes describe and list calls only.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/ecsconsole/ecsconsole/deploy"
)

// ECS is the part of ECS the catalog reads.
type ECS interface {
	ListClusters(context.Context, *ecs.ListClustersInput, ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
	DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	ListTaskDefinitionFamilies(context.Context, *ecs.ListTaskDefinitionFamiliesInput, ...func(*ecs.Options)) (*ecs.ListTaskDefinitionFamiliesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// EC2 is the part of EC2 the catalog reads.
type EC2 interface {
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

// ACM is the part of Certificate Manager the catalog reads.
type ACM interface {
	ListCertificates(context.Context, *acm.ListCertificatesInput, ...func(*acm.Options)) (*acm.ListCertificatesOutput, error)
}

// IAM is the part of IAM the catalog reads.
type IAM interface {
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

// Clients are the read-only clients for one region.
type Clients struct {
	ECS ECS
	EC2 EC2
	ACM ACM
	IAM IAM
}

// ClientFactory returns the catalog's clients for a region.
type ClientFactory func(ctx context.Context, region string) (Clients, error)

// NewClientFactory builds real SDK clients like deploy.NewClientFactory;
// the catalog serves pages only, so its calls are always bounded as a
// request's are (ForRequest). IAM is global: its client is always signed
// for us-east-1.
func NewClientFactory(opts deploy.AWSOptions) ClientFactory {
	configs := deploy.RequestConfigs(opts)
	return func(ctx context.Context, region string) (Clients, error) {
		cfg, err := configs(ctx, region)
		if err != nil {
			return Clients{}, err
		}
		iamCfg, err := configs(ctx, "us-east-1")
		if err != nil {
			return Clients{}, err
		}
		return Clients{ECS: ecs.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), ACM: acm.NewFromConfig(cfg), IAM: iam.NewFromConfig(iamCfg)}, nil
	}
}

// Catalog lists what exists, for pickers.
type Catalog struct {
	clients ClientFactory
}

// New returns a catalog reading through clients.
func New(clients ClientFactory) *Catalog { return &Catalog{clients: clients} }

// VPC is a VPC subnets can be picked from.
type VPC struct {
	ID        string
	CIDR      string
	IsDefault bool
	Name      string // its Name tag
}

// SecurityGroup is an existing security group.
type SecurityGroup struct {
	ID, Name, Description, VpcID string
}

// ClusterSummary is an ECS cluster with its counts.
type ClusterSummary struct {
	Name           string
	Status         string
	ActiveServices int32
	RunningTasks   int32
	PendingTasks   int32
}

// Certificate is an ACM certificate.
type Certificate struct {
	ARN    string
	Domain string
	Names  []string // subject alternative names, the domain included
	Status string   // ISSUED, PENDING_VALIDATION, …
}

// Covers reports whether the certificate is valid for domain: one of its
// names is domain, or a wildcard one level above it.
func (c Certificate) Covers(domain string) bool {
	domain = strings.ToLower(domain)
	for _, n := range append([]string{c.Domain}, c.Names...) {
		n = strings.ToLower(n)
		if n == domain {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if _, parent, found := strings.Cut(domain, "."); found && parent == rest {
				return true
			}
		}
	}
	return false
}

// Role is an IAM role.
type Role struct {
	Name string
	ARN  string
	// ForTasks is true when ECS tasks may assume it (its trust policy names
	// ecs-tasks.amazonaws.com): usable as an execution or task role.
	ForTasks bool
}

func (c *Catalog) clientsFor(ctx context.Context, region string) (Clients, error) {
	return c.clients(ctx, region)
}

// VPCs lists the region's VPCs, the default first.
func (c *Catalog) VPCs(ctx context.Context, region string) ([]VPC, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	var vpcs []VPC
	var token *string
	for {
		out, err := cl.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing VPCs in %s: %w", region, err)
		}
		for _, v := range out.Vpcs {
			vpcs = append(vpcs, VPC{ID: aws.ToString(v.VpcId), CIDR: aws.ToString(v.CidrBlock), IsDefault: aws.ToBool(v.IsDefault), Name: deploy.NameTag(v.Tags)})
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	sort.SliceStable(vpcs, func(i, j int) bool { return vpcs[i].IsDefault && !vpcs[j].IsDefault })
	return vpcs, nil
}

// Subnets lists the region's subnets by VPC, then AZ.
func (c *Catalog) Subnets(ctx context.Context, region string) ([]deploy.CatalogSubnet, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	subnets, err := deploy.DescribeSubnets(ctx, cl.EC2, region)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(subnets, func(i, j int) bool {
		a, b := subnets[i], subnets[j]
		if a.VpcID != b.VpcID {
			return a.VpcID < b.VpcID
		}
		return a.AvailabilityZone < b.AvailabilityZone
	})
	return subnets, nil
}

// SecurityGroups lists the region's security groups, by VPC then name.
func (c *Catalog) SecurityGroups(ctx context.Context, region string) ([]SecurityGroup, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	var groups []SecurityGroup
	var token *string
	for {
		out, err := cl.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing security groups in %s: %w", region, err)
		}
		for _, g := range out.SecurityGroups {
			groups = append(groups, SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), Description: aws.ToString(g.Description), VpcID: aws.ToString(g.VpcId)})
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].VpcID != groups[j].VpcID {
			return groups[i].VpcID < groups[j].VpcID
		}
		return groups[i].Name < groups[j].Name
	})
	return groups, nil
}

// Clusters lists the region's clusters with their service and task counts.
func (c *Catalog) Clusters(ctx context.Context, region string) ([]ClusterSummary, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	var arns []string
	var token *string
	for {
		out, err := cl.ECS.ListClusters(ctx, &ecs.ListClustersInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing clusters in %s: %w", region, err)
		}
		arns = append(arns, out.ClusterArns...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	var clusters []ClusterSummary
	for len(arns) > 0 {
		batch := arns[:min(len(arns), 100)] // DescribeClusters takes up to 100
		arns = arns[len(batch):]
		out, err := cl.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: batch})
		if err != nil {
			return nil, fmt.Errorf("describing clusters in %s: %w", region, err)
		}
		for _, k := range out.Clusters {
			clusters = append(clusters, ClusterSummary{Name: aws.ToString(k.ClusterName), Status: aws.ToString(k.Status),
				ActiveServices: k.ActiveServicesCount, RunningTasks: k.RunningTasksCount, PendingTasks: k.PendingTasksCount})
		}
	}
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	return clusters, nil
}

// Families lists the region's task definition families that have an
// ACTIVE revision.
func (c *Catalog) Families(ctx context.Context, region string) ([]string, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	var families []string
	var token *string
	for {
		out, err := cl.ECS.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{Status: ecstypes.TaskDefinitionFamilyStatusActive, NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing task definition families in %s: %w", region, err)
		}
		families = append(families, out.Families...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	sort.Strings(families)
	return families, nil
}

// LatestTaskDefinition returns family's latest ACTIVE revision as
// RegisterTaskDefinition input JSON (AWS's member names), ready for a spec.
func (c *Catalog) LatestTaskDefinition(ctx context.Context, region, family string) (json.RawMessage, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	out, err := cl.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		return nil, fmt.Errorf("describing task definition %s in %s: %w", family, region, err)
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("describing task definition %s in %s: no task definition in the answer", family, region)
	}
	doc, _ := awsMembers(reflect.ValueOf(*out.TaskDefinition)).(map[string]any)
	if doc == nil {
		doc = map[string]any{}
	}
	if tags := awsMembers(reflect.ValueOf(out.Tags)); tags != nil {
		doc["tags"] = tags
	}
	b, err := deploy.RegisterInputJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding task definition %s: %w", family, err)
	}
	return b, nil
}

// awsMembers converts an SDK value to generic JSON with AWS's member names
// (the Go field name with a lower-case first letter, as checkShape reads
// them). Nil pointers, empty lists and maps, zero numbers and times are
// left out; nil means "absent".
func awsMembers(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if e := v.Elem(); e.Kind() >= reflect.Int && e.Kind() <= reflect.Int64 {
			return e.Int() // a pointer says the zero was meant
		}
		return awsMembers(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return nil
		}
		m := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if x := awsMembers(v.Field(i)); x != nil {
				m[strings.ToLower(f.Name[:1])+f.Name[1:]] = x
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		list := make([]any, 0, v.Len())
		for i := range v.Len() {
			list = append(list, awsMembers(v.Index(i)))
		}
		return list
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			m[k.String()] = awsMembers(v.MapIndex(k))
		}
		return m
	case reflect.String:
		if v.String() == "" {
			return nil
		}
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == 0 {
			return nil
		}
		return v.Int()
	}
	return nil
}

// Certificates lists the region's ACM certificates, issued first.
func (c *Catalog) Certificates(ctx context.Context, region string) ([]Certificate, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	var certs []Certificate
	var token *string
	for {
		out, err := cl.ACM.ListCertificates(ctx, &acm.ListCertificatesInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing certificates in %s: %w", region, err)
		}
		for _, s := range out.CertificateSummaryList {
			certs = append(certs, Certificate{ARN: aws.ToString(s.CertificateArn), Domain: aws.ToString(s.DomainName),
				Names: s.SubjectAlternativeNameSummaries, Status: string(s.Status)})
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	sort.SliceStable(certs, func(i, j int) bool {
		ii, ji := certs[i].Status == string(acmtypes.CertificateStatusIssued), certs[j].Status == string(acmtypes.CertificateStatusIssued)
		if ii != ji {
			return ii
		}
		return certs[i].Domain < certs[j].Domain
	})
	return certs, nil
}

// Roles lists the account's IAM roles, those ECS tasks can assume first.
func (c *Catalog) Roles(ctx context.Context, region string) ([]Role, error) {
	cl, err := c.clientsFor(ctx, region)
	if err != nil {
		return nil, err
	}
	var roles []Role
	var marker *string
	for {
		out, err := cl.IAM.ListRoles(ctx, &iam.ListRolesInput{Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("listing IAM roles: %w", err)
		}
		for _, r := range out.Roles {
			roles = append(roles, Role{Name: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn), ForTasks: trustsECSTasks(aws.ToString(r.AssumeRolePolicyDocument))})
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	sort.SliceStable(roles, func(i, j int) bool {
		if roles[i].ForTasks != roles[j].ForTasks {
			return roles[i].ForTasks
		}
		return roles[i].Name < roles[j].Name
	})
	return roles, nil
}

// trustsECSTasks reports whether a (URL-encoded) trust policy names the
// ECS tasks service principal.
func trustsECSTasks(doc string) bool {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	return strings.Contains(doc, "ecs-tasks.amazonaws.com")
}
