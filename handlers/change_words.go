package handlers

// The words of a spec's changes, by section, for the deployment and diff
// pages: deploy.Diff finds the changes, this file names them for a person.

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/ecsconsole/ecsconsole/deploy"
)

// changeSection is a group of changes a person reads together: one
// container, the task size, the service, networking, the load balancer,
// HTTPS.
type changeSection struct {
	Title   string
	Changes []wordedChange
}

// wordedChange is a Change as the diff page shows it: what changed in
// words, and the old and new values as text. A secret's values are never
// shown (Hidden): only its name.
type wordedChange struct {
	What     string
	Kind     deploy.ChangeKind
	Old, New string
	Hidden   bool
	Path     string // the deploy.Change's path, for people who want it exact
}

// Section titles in the order the diff page lists them; containers come
// first, each its own section.
var sectionOrder = []string{"Task size", "Task definition", "Service", "Networking", "Load balancer",
	"HTTPS and certificate", "Region and cluster"}

// wordChanges groups changes into sections with their names in words:
// per container image, environment variables, secrets (by name), ports;
// task CPU and memory; desired count; networking; load balancer and its
// listeners; certificate.
func wordChanges(changes []deploy.Change) []changeSection {
	var sections []changeSection
	index := map[string]int{}
	for _, c := range changes {
		title, wc := explain(c)
		i, ok := index[title]
		if !ok {
			i = len(sections)
			index[title] = i
			sections = append(sections, changeSection{Title: title})
		}
		sections[i].Changes = append(sections[i].Changes, wc)
	}
	rank := func(title string) int {
		if strings.HasPrefix(title, "Container ") {
			return -1 // containers first, in the order they came
		}
		if i := slices.Index(sectionOrder, title); i >= 0 {
			return i
		}
		return len(sectionOrder)
	}
	slices.SortStableFunc(sections, func(a, b changeSection) int { return rank(a.Title) - rank(b.Title) })
	return sections
}

// explain names one change's section and says what it is.
func explain(c deploy.Change) (string, wordedChange) {
	wc := wordedChange{Kind: c.Kind, Old: displayJSON(c.Old), New: displayJSON(c.New), Path: c.Path}
	segs := pathSegments(c.Path)
	at := func(i int) string {
		if i < len(segs) {
			return segs[i]
		}
		return ""
	}
	rest := func(i int) string { return strings.Join(segs[min(i, len(segs)):], ".") }
	switch at(0) {
	case "taskDefinition":
		if name, ok := keyed(at(1), "containerDefinitions", "name"); ok {
			wc.What = containerMember(segs[2:], &wc)
			return "Container " + name, wc
		}
		switch at(1) {
		case "cpu":
			wc.What = "CPU units"
			return "Task size", wc
		case "memory":
			wc.What = "memory (MiB)"
			return "Task size", wc
		}
		wc.What = c.Path
		return "Task definition", wc
	case "service":
		switch at(1) {
		case "desiredCount":
			wc.What = "desired count"
			return "Service", wc
		case "subnets", "assignPublicIp", "securityGroupIds", "newSecurityGroup":
			wc.What = map[string]string{"subnets": "subnets", "assignPublicIp": "public IP",
				"securityGroupIds": "security groups", "newSecurityGroup": "new security group"}[at(1)]
			if r := rest(2); r != "" {
				wc.What += " " + r
			}
			return "Networking", wc
		}
		wc.What = c.Path
		return "Service", wc
	case "loadBalancer":
		switch at(1) {
		case "https":
			switch at(2) {
			case "certificateArn":
				wc.What = "certificate"
			case "requestDomain":
				wc.What = "requested certificate's domain"
			case "redirectHttp":
				wc.What = "HTTP listener redirects to HTTPS"
			case "":
				wc.What = "HTTPS listener (443)"
			default:
				wc.What = c.Path
			}
			return "HTTPS and certificate", wc
		case "targetGroup":
			wc.What = "target group"
			if r := rest(2); r != "" {
				wc.What += " " + r
			}
			return "Load balancer", wc
		case "":
			wc.What = "load balancer and its HTTP listener (80)"
			return "Load balancer", wc
		}
		wc.What = c.Path
		return "Load balancer", wc
	}
	wc.What = c.Path
	return "Region and cluster", wc
}

// containerMember words a change inside one container definition.
func containerMember(segs []string, wc *wordedChange) string {
	if len(segs) == 0 {
		return "container"
	}
	if name, ok := keyed(segs[0], "environment", "name"); ok {
		return "environment variable " + name
	}
	if name, ok := keyed(segs[0], "secrets", "name"); ok || strings.HasPrefix(segs[0], "secrets") {
		if !ok { // the whole list: name its secrets
			names := listNames(wc.Old, wc.New)
			wc.Hidden, wc.Old, wc.New = true, "", ""
			return "secrets " + strings.Join(names, ", ")
		}
		wc.Hidden, wc.Old, wc.New = true, "", ""
		return "secret " + name
	}
	if port, ok := keyed(segs[0], "portMappings", "containerPort"); ok {
		return "port " + port
	}
	switch segs[0] {
	case "image":
		return "image"
	case "portMappings":
		return "ports"
	case "environment":
		return "environment"
	}
	return strings.Join(segs, ".")
}

// listNames returns the name members of the JSON lists of objects given.
func listNames(lists ...string) []string {
	var names []string
	for _, l := range lists {
		var xs []struct {
			Name string `json:"name"`
		}
		if json.Unmarshal([]byte(l), &xs) == nil {
			for _, x := range xs {
				if !slices.Contains(names, x.Name) {
					names = append(names, x.Name)
				}
			}
		}
	}
	return names
}

// keyed reads a path segment like environment[name=FOO]: the value of key.
func keyed(seg, list, key string) (string, bool) {
	v, ok := strings.CutPrefix(seg, list+"["+key+"=")
	if !ok || !strings.HasSuffix(v, "]") {
		return "", false
	}
	return strings.TrimSuffix(v, "]"), true
}

// pathSegments splits a Change path at the dots outside brackets.
func pathSegments(path string) []string {
	var segs []string
	depth, start := 0, 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				segs = append(segs, path[start:i])
				start = i + 1
			}
		}
	}
	return append(segs, path[start:])
}

// displayJSON shows a JSON value as text: strings without their quotes.
func displayJSON(raw json.RawMessage) string {
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
