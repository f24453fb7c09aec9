package sandbox

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// iamVersion is IAM's awsQuery API version (docs/aws-api.md §9.2).
const iamVersion = "2010-05-08"

// registerIAM adds ListRoles, for the wizard's role pickers. IAM is global,
// so the roles are the account's whatever region a call is signed for.
func (s *Server) registerIAM() {
	s.queryOps[iamVersion+":ListRoles"] = iamListRoles
}

// iamRole is one ListRoles member (docs/aws-api.md §9.2).
type iamRole struct {
	Path                     string
	RoleName                 string
	RoleID                   string `xml:"RoleId"`
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	Description              string `xml:",omitempty"`
	MaxSessionDuration       int
}

type listRolesResult struct {
	Roles       []iamRole `xml:"Roles>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// ecsTasksTrust is the trust policy of a role ECS tasks can assume.
const ecsTasksTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// rolesCreated is when the seeded roles were made: a fixed date, as they
// predate any sandbox.
var rolesCreated = time.Date(2024, 1, 15, 9, 30, 0, 0, time.UTC)

// seededRoles are the account's roles: the execution role the sandbox
// seeds, a task role, ECS's infrastructure role for load balancers (what
// blue/green, canary and linear deployments name) and ECS's service-linked
// role.
func seededRoles(account string, created time.Time) []iamRole {
	role := func(path, name, id, trust, desc string) iamRole {
		return iamRole{
			Path: path, RoleName: name, RoleID: id,
			Arn:        "arn:aws:iam::" + account + ":role" + path + name,
			CreateDate: created.UTC().Format(time.RFC3339), AssumeRolePolicyDocument: url.QueryEscape(trust),
			Description: desc, MaxSessionDuration: 3600,
		}
	}
	linkedTrust := strings.Replace(ecsTasksTrust, "ecs-tasks.amazonaws.com", "ecs.amazonaws.com", 1)
	return []iamRole{
		role("/", "ecsTaskExecutionRole", "AROASANDBOXEXECROLE01", ecsTasksTrust, "Lets ECS pull images and write logs for tasks"),
		role("/", "php-app-task-role", "AROASANDBOXTASKROLE01", ecsTasksTrust, ""),
		role("/", "ecsInfrastructureRoleForLoadBalancers", "AROASANDBOXINFRAROLE1", linkedTrust, "Lets ECS change load balancers for blue/green, canary and linear deployments"),
		role("/aws-service-role/ecs.amazonaws.com/", "AWSServiceRoleForECS", "AROASANDBOXECSLINKED1", linkedTrust, "Role to enable Amazon ECS to manage your cluster."),
	}
}

func iamListRoles(c *call, form url.Values) (any, error) {
	prefix := form.Get("PathPrefix")
	if prefix == "" {
		prefix = "/"
	}
	if !strings.HasPrefix(prefix, "/") || len(prefix) > 512 {
		return nil, clientErr("ValidationError", "1 validation error detected: Value '%s' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F.*", prefix)
	}
	maxItems := 100
	if v := form.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, clientErr("ValidationError", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)
		}
		maxItems = n
	}
	var roles []iamRole
	for _, r := range seededRoles(c.w.account, rolesCreated) {
		if strings.HasPrefix(r.Path, prefix) {
			roles = append(roles, r)
		}
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].RoleName < roles[j].RoleName })
	start := 0
	if m := form.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(roles) {
			return nil, clientErr("ValidationError", "Invalid Marker.")
		}
		start = n
	}
	end := min(start+maxItems, len(roles))
	out := &listRolesResult{Roles: roles[start:end]}
	if end < len(roles) {
		out.IsTruncated, out.Marker = true, strconv.Itoa(end)
	}
	return out, nil
}
