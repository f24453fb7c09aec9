package ecsconsole

// Outputs is what a deployment made reachable: where to find the service and
// every resource it used.
type Outputs struct {
	URL             string        `json:"url,omitempty"`
	LoadBalancerDNS string        `json:"loadBalancerDns,omitempty"`
	Tasks           []TaskAddress `json:"tasks,omitempty"`
	// ARNs maps a resource role (cluster, service, taskDefinition, …: each
	// step's output role, declared with the step in deploy/steps.go) to
	// its ARN or ID.
	ARNs map[string]string `json:"arns,omitempty"`
}

// TaskAddress is where one running task can be reached.
type TaskAddress struct {
	TaskARN   string `json:"taskArn"`
	PrivateIP string `json:"privateIp,omitempty"`
	PublicIP  string `json:"publicIp,omitempty"`
	// Images are the task's containers' images with the digest ECS
	// resolved each to, so a rollback can restore exactly them.
	Images []ContainerImage `json:"images,omitempty"`
}

// ContainerImage is the image one container of a running task runs.
type ContainerImage struct {
	Container string `json:"container"`
	Image     string `json:"image"`
	Digest    string `json:"digest,omitempty"` // sha256:…, as DescribeTasks reports it
}

// DNSRecord is a CNAME the user must add at their DNS provider for ACM to
// validate a requested certificate.
type DNSRecord struct {
	DomainName string `json:"domainName"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Value      string `json:"value"`
	Status     string `json:"status"` // ACM's validation status, e.g. PENDING_VALIDATION
}
