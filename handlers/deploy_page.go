package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/web"
)

// exampleSpec is the deploy page's starting point: DESIGN §1's journey (a
// PHP web container with a Redis sidecar behind an ALB with HTTPS). The
// subnets are filled in from the region.
const exampleSpec = `{
  "cluster": { "name": "demo" },
  "taskDefinition": {
    "family": "php-app",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512",
    "memory": "1024",
    "executionRoleArn": "arn:aws:iam::%[1]s:role/ecsTaskExecutionRole",
    "containerDefinitions": [
      {
        "name": "web",
        "image": "php:8.3-apache",
        "essential": true,
        "portMappings": [{ "containerPort": 8080, "protocol": "tcp" }],
        "environment": [{ "name": "REDIS_HOST", "value": "localhost" }],
        "logConfiguration": {
          "logDriver": "awslogs",
          "options": {
            "awslogs-group": "/ecs/php-app",
            "awslogs-region": "%[2]s",
            "awslogs-stream-prefix": "web",
            "awslogs-create-group": "true"
          }
        }
      },
      {
        "name": "redis",
        "image": "redis:7",
        "essential": false,
        "memoryReservation": 128
      }
    ]
  },
  "service": {
    "name": "php-app",
    "desiredCount": 2,
    "subnets": [%[3]s],
    "assignPublicIp": true,
    "newSecurityGroup": { "name": "php-app-tasks", "ingressPorts": [8080] },
    "circuitBreaker": { "enable": true, "rollback": true }
  },
  "loadBalancer": {
    "name": "php-app",
    "subnets": [%[3]s],
    "targetGroup": { "name": "php-app", "containerName": "web", "containerPort": 8080, "healthCheckPath": "/" },
    "https": { "requestDomain": "app.example.com", "redirectHttp": true }
  }
}`

func (s *Server) deployPage(w http.ResponseWriter, r *http.Request) error {
	f := web.DeployForm{}
	subnets := s.subnets(r)
	var ids []string
	for _, sn := range subnets {
		if len(ids) < 2 {
			ids = append(ids, strconv.Quote(sn.Key))
		}
	}
	_, account, _ := s.identity.get(r.Context())
	if account == "" {
		account = "123456789012"
	}
	f.Spec = fmt.Sprintf(exampleSpec, account, s.opts.Region, strings.Join(ids, ", "))
	f.Subnets = subnets
	s.render(w, r, http.StatusOK, web.DeployPage(s.page(r, "Deploy", "deploy"), f))
	return nil
}

// subnets lists the default region's subnets for the page; AWS being
// unreachable only leaves the list out.
func (s *Server) subnets(r *http.Request) []web.KeyValue {
	list, err := s.engine.Subnets(r.Context(), s.opts.Region)
	if err != nil {
		s.logger.Warn("listing subnets", "request_id", requestID(r.Context()), "error", err.Error())
		return nil
	}
	rows := make([]web.KeyValue, len(list))
	for i, sn := range list {
		desc := sn.AvailabilityZone + ", " + sn.CIDR + ", " + sn.VpcID
		if sn.DefaultForAZ {
			desc += ", default"
		}
		rows[i] = web.KeyValue{Key: sn.ID, Value: desc}
	}
	return rows
}

// deploySubmit previews the plan of the posted spec, or submits it.
func (s *Server) deploySubmit(w http.ResponseWriter, r *http.Request) error {
	f := web.DeployForm{Spec: r.PostFormValue("spec"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	page := func(status int) error {
		f.Subnets = s.subnets(r)
		s.render(w, r, status, web.DeployPage(s.page(r, "Deploy", "deploy"), f))
		return nil
	}
	if len(f.Spec) > maxSpecBody {
		f.Error = fmt.Sprintf("The spec is over %d bytes.", maxSpecBody)
		return page(http.StatusRequestEntityTooLarge)
	}
	if p := reasonProblem(f.Reason); p != "" {
		f.Error = "Reason: " + p
		return page(http.StatusUnprocessableEntity)
	}
	// refused shows any refusal on the form, in the error table's words:
	// the spec's problems next to their paths, anything else above it.
	refused := func(err error) error {
		var ve *deploy.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				f.Problems = append(f.Problems, web.KeyValue{Key: p.Path, Value: p.Message})
			}
		}
		e := s.asError(r, err)
		if len(f.Problems) == 0 {
			f.Error = e.Message
		}
		return page(e.Status)
	}
	if path, problem := jsonTextProblem([]byte(f.Spec)); problem != "" {
		f.Problems = append(f.Problems, web.KeyValue{Key: path, Value: problem})
		return page(http.StatusUnprocessableEntity)
	}
	spec, err := deploy.ParseWithDefaultRegion([]byte(f.Spec), s.opts.Region)
	if err != nil {
		return refused(err)
	}
	if r.PostFormValue("action") != "deploy" {
		plan, err := s.engine.Plan(r.Context(), spec)
		if err != nil {
			return refused(err)
		}
		for _, it := range plan.Items {
			f.Plan = append(f.Plan, web.PlanRow{Resource: it.Resource, Name: it.Name, Action: it.Action, Reason: it.Reason})
		}
		return page(http.StatusOK)
	}
	me, _ := userFrom(r.Context())
	d, err := s.engine.Submit(r.Context(), spec, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: f.Reason})
	if err != nil {
		return refused(err)
	}
	s.auditAs(r, "deployment.create", d.ServiceKey, map[string]any{"deployment_id": d.ID})
	s.sessions.Put(r.Context(), flashKey, "Deployment started.")
	http.Redirect(w, r, "/deployments/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
	return nil
}
