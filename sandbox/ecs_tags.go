package sandbox

import (
	"slices"
	"strings"
)

// taggable returns the tags of the ECS resource arn: a cluster, a service
// (long ARN), a task or a task definition revision.
func (e *ecsState) taggable(arn string) (*[]ecsTag, error) {
	_, resource, ok := strings.Cut(arn, ":ecs:")
	if !strings.HasPrefix(arn, "arn:") || !ok {
		return nil, invalid("The ARN provided is invalid.")
	}
	parts := strings.SplitN(resource, ":", 3)
	if len(parts) != 3 {
		return nil, invalid("The ARN provided is invalid.")
	}
	kind, path, _ := strings.Cut(parts[2], "/")
	notFound := clientErr("ResourceNotFoundException", "The specified resource could not be found.")
	switch kind {
	case "cluster":
		cl := e.Clusters[path]
		if cl == nil {
			return nil, notFound
		}
		return &cl.Tags, nil
	case "task-definition":
		rec, ok := e.lookupTaskDefinition(path)
		if !ok || !strings.Contains(path, ":") {
			return nil, notFound
		}
		return &rec.Tags, nil
	case "service", "task":
		clusterName, name, long := strings.Cut(path, "/")
		if !long {
			return nil, invalid("Long arn format must be used for tagging operations")
		}
		cl, err := e.cluster(clusterName)
		if err != nil {
			return nil, err
		}
		if kind == "service" {
			if svc := cl.Services[name]; svc != nil {
				return &svc.Tags, nil
			}
		} else if t := cl.Tasks[name]; t != nil {
			return &t.Tags, nil
		}
		return nil, notFound
	}
	return nil, invalid("The ARN provided is invalid.")
}

type tagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	Tags        []ecsTag `json:"tags"`
}

// tagResource merges tags into the resource's: same keys are overwritten,
// others kept; at most 50 in all.
func tagResource(c *call, in *tagResourceInput) (any, error) {
	tags, err := c.w.ecs.taggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	merged := mergeTags(slices.Clone(*tags), in.Tags)
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := validateTags(merged); err != nil {
		return nil, err
	}
	*tags = merged
	return struct{}{}, nil
}

type untagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

func untagResource(c *call, in *untagResourceInput) (any, error) {
	tags, err := c.w.ecs.taggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	*tags = slices.DeleteFunc(slices.Clone(*tags), func(t ecsTag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return struct{}{}, nil
}

type listTagsForResourceInput struct {
	ResourceArn string `json:"resourceArn"`
}

type listTagsForResourceOutput struct {
	Tags []ecsTag `json:"tags"`
}

func listTagsForResource(c *call, in *listTagsForResourceInput) (any, error) {
	tags, err := c.w.ecs.taggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return listTagsForResourceOutput{Tags: nonNil(*tags)}, nil
}
