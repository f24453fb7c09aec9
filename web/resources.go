package web

import "strings"

// ShortARN is the name a person knows a resource by, from its ARN (or any
// other id, returned as it is): the load balancer's or target group's
// name, the service's name, the task definition's family:revision, the
// task's id.
func ShortARN(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return arn
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return arn
	}
	resource := strings.Split(parts[5], "/")
	switch {
	case parts[2] == "elasticloadbalancing" && len(resource) >= 3 && (resource[1] == "app" || resource[1] == "net"):
		if resource[0] == "listener" && len(resource) >= 5 {
			return resource[2] + " listener " + resource[4][:min(8, len(resource[4]))]
		}
		return resource[2] // loadbalancer/app/NAME/ID
	case parts[2] == "elasticloadbalancing" && resource[0] == "targetgroup" && len(resource) >= 2:
		return resource[1]
	}
	return resource[len(resource)-1]
}

// ImageTag shortens an image reference to what tells revisions apart:
// the repository's last path element and its tag or digest.
func ImageTag(image string) string {
	name, digest, hasDigest := strings.Cut(image, "@")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if hasDigest {
		return name + "@" + ShortDigest(digest)
	}
	return name
}

// ShortDigest shows the first 12 hex digits of a sha256 digest.
func ShortDigest(digest string) string {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) < 12 {
		return digest
	}
	return "sha256:" + hex[:12]
}
