package draft

// Which form field wrote which part of the spec: the mapping in spec.go
// records, for each JSON path it writes, the field (the input's name) and
// the label the page shows for it, in the same statement that writes the
// value, so a problem the engine finds at a path is shown next to the
// field that made it without a second table to keep in step.

import (
	"strconv"
	"strings"
)

// Field is one control of the wizard's form: its input name and the label
// a person reads next to it.
type Field struct {
	Name  string
	Label string
}

// Index maps the spec paths the form writes to the field that wrote them.
type Index map[string]Field

// put records that field wrote the member at path.
func (ix Index) put(path, field string) {
	if ix != nil {
		ix[path] = Field{Name: field, Label: Label(field)}
	}
}

// FieldOf is the field a problem at path belongs next to: the field that
// wrote path, or else the one that wrote its nearest parent (a problem at
// "….portMappings[1].containerPort" belongs to the container's ports).
func (ix Index) FieldOf(path string) (Field, bool) {
	for {
		if f, ok := ix[path]; ok {
			return f, true
		}
		cut := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if cut <= 0 {
			return Field{}, false
		}
		path = path[:cut]
	}
}

// labels are the form fields' labels, as the page shows them.
var labels = map[string]string{
	"family": "Family", "size": "Task size", "execRole": "Execution role", "taskRole": "Task role",
	"containers": "The containers", "tdjson": "The task definition", "cluster": "Cluster name",
	"service.name": "Service name", "service.desiredCount": "Desired count", "subnets": "Subnets for the tasks",
	"publicIp": "Public IP", "sgMode": "Security group choice", "sgIds": "Security groups", "sgName": "Security group name",
	"sgPorts": "Security group ports", "circuitBreaker": "Circuit breaker", "rollback": "Roll back",
	"minHealthy": "Minimum healthy percent", "maxPercent": "Maximum percent", "lbName": "Load balancer name",
	"tgName": "Target group name", "lbEnabled": "Load balancer", "lbSubnets": "Load balancer subnets",
	"target": "Send traffic to", "healthPath": "Health check path", "httpsEnabled": "Serve HTTPS",
	"httpsMode": "HTTPS", "domain": "Domain", "certArn": "Certificate", "altNames": "More names on the certificate",
	"redirect": "Redirect HTTP to HTTPS", "reason": "Reason",
}

// ContainerField is the input name of a container's field: c0.image.
func ContainerField(i int, member string) string {
	if member == "" {
		return "c" + strconv.Itoa(i)
	}
	return "c" + strconv.Itoa(i) + "." + member
}

// Label is a field's label, for messages that name it; a container's
// fields are named after "Container N".
func Label(field string) string {
	if l, ok := labels[field]; ok {
		return l
	}
	if c, ok := strings.CutPrefix(field, "c"); ok {
		num, member, _ := strings.Cut(c, ".")
		if i, err := strconv.Atoi(num); err == nil {
			label := "Container " + strconv.Itoa(i+1)
			for _, f := range ContainerFields {
				if f.Name == member {
					label += " " + f.Label
				}
			}
			return label
		}
	}
	return field
}
