package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// CreateDeployment stores a queued deployment and calls enqueue in the same
// transaction, so a deployment never exists without its job. A service with
// an unfinished deployment yields an *ActiveDeploymentError.
func (s *Store) CreateDeployment(ctx context.Context, nd ecsconsole.NewDeployment, enqueue ecsconsole.EnqueueFunc) (ecsconsole.Deployment, error) {
	var d ecsconsole.Deployment
	defer s.changes.wrote(Deployments, Services, AuditEvents)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// A frozen service refuses deploys here, where the deployment is
		// stored, so that no handler can forget it and no freeze can race
		// it (freezes.go).
		if err := s.checkFreeze(ctx, tx, nd); err != nil {
			return err
		}
		var err error
		d, err = insertDeployment(ctx, tx, nd)
		if err != nil {
			return err
		}
		if err := s.freezeAfter(ctx, tx, d); err != nil {
			return err
		}
		// Webhooks hear of it in the same transaction (webhooks.go).
		event := EventStarted
		if d.Kind == ecsconsole.KindRollback {
			event = EventRolledBack
		}
		if err := s.deploymentEvent(ctx, tx, d, event); err != nil {
			return err
		}
		return enqueue(ctx, tx, d)
	})
	if isUniqueViolation(err, "deployments_one_active_per_service") {
		active, aerr := s.ActiveDeployment(ctx, nd.ServiceKey)
		if aerr != nil {
			// It finished between the insert and this read: still a conflict
			// at the time of the request.
			return ecsconsole.Deployment{}, fmt.Errorf("%s already has a deployment in progress: %w", nd.ServiceKey, ecsconsole.ErrConflict)
		}
		return ecsconsole.Deployment{}, &ecsconsole.ActiveDeploymentError{Active: active}
	}
	if err != nil {
		return ecsconsole.Deployment{}, fmt.Errorf("creating deployment of %s: %w", nd.ServiceKey, err)
	}
	s.observer.DeploymentCreated(d) // metrics (observer.go)
	return d, nil
}

func insertDeployment(ctx context.Context, tx pgx.Tx, nd ecsconsole.NewDeployment) (ecsconsole.Deployment, error) {
	kind := nd.Kind
	if kind == "" {
		kind = ecsconsole.KindDeploy
	}
	var changes json.RawMessage
	if nd.Changes != nil {
		// The new row's id will be above every id so far, so the service's
		// latest deployment is the one before it. (A concurrent create of
		// the same service fails on deployments_one_active_per_service.)
		var prevID int64
		var prevSpec json.RawMessage
		err := tx.QueryRow(ctx, `SELECT id, spec FROM deployments WHERE service_key = $1 ORDER BY id DESC LIMIT 1`,
			nd.ServiceKey).Scan(&prevID, &prevSpec)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return ecsconsole.Deployment{}, fmt.Errorf("reading the previous deployment: %w", err)
		}
		if changes, err = nd.Changes(prevID, prevSpec); err != nil {
			return ecsconsole.Deployment{}, err
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO deployments
		(service_key, region, cluster, service, kind, rollback_of, spec, task_definition, task_definition_arn,
		 created_by_id, created_by_name, reason, spec_changes)
		VALUES ($1, $2, $3, $4, $5, NULLIF($6, 0), $7, $8, $9, NULLIF($10, 0), $11, $12, $13)
		RETURNING `+deploymentColumns,
		nd.ServiceKey, nd.Region, nd.Cluster, nd.Service, kind, nd.RollbackOf, nd.Spec, nullJSON(nd.TaskDefinition),
		nd.TaskDefinitionARN, nd.CreatedByID, nd.CreatedBy, nd.Reason, nullJSON(changes))
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	return pgx.CollectExactlyOneRow(rows, scanDeployment)
}

const deploymentColumns = `id, service_key, region, cluster, service, kind, COALESCE(rollback_of, 0), spec,
	task_definition, task_definition_arn, status, COALESCE(created_by_id, 0), created_by_name, reason,
	error_step, error_code, error_message, outputs, dns_validation, spec_changes, created_at, started_at, finished_at, updated_at, images`

// deploymentListColumns are deploymentColumns without the two large
// documents: a history page needs neither the spec nor the task definition.
const deploymentListColumns = `id, service_key, region, cluster, service, kind, COALESCE(rollback_of, 0), NULL::jsonb,
	NULL::jsonb, task_definition_arn, status, COALESCE(created_by_id, 0), created_by_name, reason,
	error_step, error_code, error_message, outputs, dns_validation, NULL::jsonb, created_at, started_at, finished_at, updated_at, images`

func scanDeployment(row pgx.CollectableRow) (ecsconsole.Deployment, error) {
	var d ecsconsole.Deployment
	// The documents are read as bytes: Postgres checked them when they were
	// stored, and scanning into json.RawMessage would have encoding/json
	// validate each again (a tenth of a diff page's CPU).
	var spec, td, changes, images []byte
	err := row.Scan(&d.ID, &d.ServiceKey, &d.Region, &d.Cluster, &d.Service, &d.Kind, &d.RollbackOf, &spec,
		&td, &d.TaskDefinitionARN, &d.Status, &d.CreatedByID, &d.CreatedBy, &d.Reason,
		&d.ErrorStep, &d.ErrorCode, &d.ErrorMessage, &d.Outputs, &d.DNSValidation, &changes,
		&d.CreatedAt, &d.StartedAt, &d.FinishedAt, &d.UpdatedAt, &images)
	if err != nil {
		return d, err
	}
	if d.Images, err = decodeImages(images); err != nil {
		return d, err
	}
	if len(spec) > 0 {
		d.Spec = spec
	}
	if len(td) > 0 {
		d.TaskDefinition = td
	}
	if len(changes) > 0 {
		d.SpecChanges = changes
	}
	return d, err
}

// nullJSON stores an absent document as SQL NULL rather than JSON null.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// DeploymentReads are the tables the deployment reads below (Deployment,
// ActiveDeployment, ListDeployments, RestoredBy, ...) and in services.go
// and images.go that read deployments alone depend on.
const DeploymentReads = Reads(1 << Deployments)

// Deployment returns the deployment with id.
func (s *Store) Deployment(ctx context.Context, id int64) (ecsconsole.Deployment, error) {
	return s.queryDeployment(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id)
}

// ActiveDeployment returns the unfinished deployment of serviceKey.
func (s *Store) ActiveDeployment(ctx context.Context, serviceKey string) (ecsconsole.Deployment, error) {
	d, err := s.queryDeployment(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE service_key = $1 AND status IN ('queued', 'running', 'waiting_for_dns')`, serviceKey)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return ecsconsole.Deployment{}, notFound("active deployment of %s", serviceKey)
	}
	return d, err
}

func (s *Store) queryDeployment(ctx context.Context, sql string, arg any) (ecsconsole.Deployment, error) {
	rows, err := s.pool.Query(ctx, sql, arg)
	if err != nil {
		return ecsconsole.Deployment{}, fmt.Errorf("reading deployment: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDeployment)
	if errors.Is(err, pgx.ErrNoRows) {
		return ecsconsole.Deployment{}, notFound("deployment %v", arg)
	}
	if err != nil {
		return ecsconsole.Deployment{}, fmt.Errorf("reading deployment: %w", err)
	}
	return d, nil
}

// DeploymentFilter narrows ListDeployments; zero fields match everything.
type DeploymentFilter struct {
	ServiceKey string // region/cluster/service, exactly
	Service    string // the service's name, in any cluster and region
	Status     ecsconsole.DeploymentStatus
	Kind       string // KindDeploy or KindRollback
	CreatedBy  string // the creator's username
	// Since and Until bound created_at: Since <= created_at < Until.
	Since, Until time.Time
}

// where renders f as SQL conditions on deployments, numbering parameters
// after those already in args. Only the filters in use go into the query,
// so that the planner picks the matching (…, id DESC) index even for a
// cached generic plan.
func (f DeploymentFilter) where(args []any) ([]string, []any) {
	where := []string{"true"}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
	}
	if f.ServiceKey != "" {
		add("service_key = $?", f.ServiceKey)
	}
	if f.Service != "" {
		add("service = $?", f.Service)
	}
	if f.Status != "" {
		add("status = $?", string(f.Status))
	}
	if f.Kind != "" {
		add("kind = $?", f.Kind)
	}
	if f.CreatedBy != "" {
		add("created_by_name = $?", f.CreatedBy)
	}
	// A date range is also turned into an id range through the created_at
	// index, so that the newest-first scan on id starts and stops at the
	// range's ends instead of filtering the whole history. The bounds are
	// exact: every row in the range has an id within them.
	if !f.Since.IsZero() {
		add("created_at >= $?", f.Since)
		where = append(where, fmt.Sprintf("id >= COALESCE((SELECT min(id) FROM deployments WHERE created_at >= $%d), 0)", len(args)))
	}
	if !f.Until.IsZero() {
		add("created_at < $?", f.Until)
		where = append(where, fmt.Sprintf("id <= COALESCE((SELECT max(id) FROM deployments WHERE created_at < $%d), 0)", len(args)))
	}
	return where, args
}

// MaxDeploymentPage bounds ListDeployments' limit.
const MaxDeploymentPage = 200

// ListDeployments returns up to limit deployments matching f, newest first,
// starting after cursor ("" for the first page), and the cursor of the next
// page ("" when there is none). Pagination is by keyset on id, so every page
// costs the same however long the history is. Listed deployments leave out
// Spec and TaskDefinition (nil); Deployment(id) has them.
func (s *Store) ListDeployments(ctx context.Context, f DeploymentFilter, cursor string, limit int) ([]ecsconsole.Deployment, string, error) {
	return s.listDeployments(ctx, deploymentListColumns, scanDeployment, f, cursor, limit)
}

// deploymentSummaryColumns are what a page's list of deployments shows:
// of the outputs only the URL, and no DNS records, so that no row's JSON
// documents are decoded.
const deploymentSummaryColumns = `id, service_key, region, cluster, service, kind, COALESCE(rollback_of, 0),
	task_definition_arn, status, COALESCE(created_by_id, 0), created_by_name, reason,
	error_step, error_code, error_message, COALESCE(outputs->>'url', ''), created_at, started_at, finished_at, updated_at, images`

func scanDeploymentSummary(row pgx.CollectableRow) (ecsconsole.Deployment, error) {
	var d ecsconsole.Deployment
	var images []byte
	err := row.Scan(&d.ID, &d.ServiceKey, &d.Region, &d.Cluster, &d.Service, &d.Kind, &d.RollbackOf,
		&d.TaskDefinitionARN, &d.Status, &d.CreatedByID, &d.CreatedBy, &d.Reason,
		&d.ErrorStep, &d.ErrorCode, &d.ErrorMessage, &d.Outputs.URL,
		&d.CreatedAt, &d.StartedAt, &d.FinishedAt, &d.UpdatedAt, &images)
	if err != nil {
		return d, err
	}
	d.Images, err = decodeImages(images)
	return d, err
}

// ListDeploymentSummaries is ListDeployments for pages: of each
// deployment's outputs only Outputs.URL is filled, and DNSValidation is nil.
func (s *Store) ListDeploymentSummaries(ctx context.Context, f DeploymentFilter, cursor string, limit int) ([]ecsconsole.Deployment, string, error) {
	return s.listDeployments(ctx, deploymentSummaryColumns, scanDeploymentSummary, f, cursor, limit)
}

func (s *Store) listDeployments(ctx context.Context, columns string, scan pgx.RowToFunc[ecsconsole.Deployment],
	f DeploymentFilter, cursor string, limit int) ([]ecsconsole.Deployment, string, error) {
	before, err := parseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = min(max(limit, 1), MaxDeploymentPage)
	where, args := f.where(nil)
	if before != 0 {
		args = append(args, before)
		where = append(where, fmt.Sprintf("id < $%d", len(args)))
	}
	// One more row than asked tells whether there is a next page.
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM deployments WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("listing deployments: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, "", fmt.Errorf("listing deployments: %w", err)
	}
	next := ""
	if len(ds) > limit {
		ds = ds[:limit]
		next = strconv.FormatInt(ds[limit-1].ID, 10)
	}
	return ds, next, nil
}

// exportBatch is how many rows EachDeployment reads per query (a page's
// most): about a hundred KiB held at once.
const exportBatch = MaxDeploymentPage

// EachDeployment calls fn for every deployment matching f, newest first.
// It reads by keyset, exportBatch rows per query, and holds no connection
// while fn runs: an export read slowly by its client (fn writing to it)
// never keeps a connection from other requests, and memory stays at one
// batch however long the history is. Deployments are summaries, as in
// ListDeploymentSummaries. An error from fn stops the scan.
func (s *Store) EachDeployment(ctx context.Context, f DeploymentFilter, fn func(ecsconsole.Deployment) error) error {
	cursor := ""
	for {
		batch, next, err := s.listDeployments(ctx, deploymentSummaryColumns, scanDeploymentSummary, f, cursor, exportBatch)
		if err != nil {
			return fmt.Errorf("exporting deployments: %w", err)
		}
		for _, d := range batch {
			if err := fn(d); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// RestoredBy returns the ids of the rollbacks that restored deployment id,
// oldest first.
func (s *Store) RestoredBy(ctx context.Context, id int64) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM deployments WHERE rollback_of = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("reading rollbacks of deployment %d: %w", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("reading rollbacks of deployment %d: %w", id, err)
	}
	return ids, nil
}

// ErrBadCursor is wrapped when a pagination cursor is malformed.
var ErrBadCursor = errors.New("invalid cursor")

func parseCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q: %w", cursor, ErrBadCursor)
	}
	return id, nil
}

// StartDeployment marks a queued deployment running (a resumed one keeps its
// status and first start time) and returns it. A finished deployment is
// returned unchanged.
func (s *Store) StartDeployment(ctx context.Context, id int64) (ecsconsole.Deployment, error) {
	defer s.changes.wrote(Deployments, Services)
	return s.queryDeployment(ctx, `UPDATE deployments SET
		status = CASE WHEN status = 'queued' THEN 'running' ELSE status END,
		started_at = COALESCE(started_at, now()), updated_at = now()
		WHERE id = $1 RETURNING `+deploymentColumns, id)
}

// SetDeploymentStatus moves an unfinished deployment to another unfinished
// status (running ↔ waiting_for_dns). Webhooks hear of a change (not of
// the same status set again after each DNS recheck) in its transaction.
func (s *Store) SetDeploymentStatus(ctx context.Context, id int64, status ecsconsole.DeploymentStatus) error {
	if status.Finished() {
		return fmt.Errorf("setting status %s: use FinishDeployment", status)
	}
	defer s.changes.wrote(Deployments, Services)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var prev ecsconsole.DeploymentStatus
		err := tx.QueryRow(ctx, `SELECT status FROM deployments WHERE id = $1
			AND status IN ('queued', 'running', 'waiting_for_dns') FOR UPDATE`, id).Scan(&prev)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("unfinished deployment %d", id)
		}
		if err != nil {
			return fmt.Errorf("updating deployment %d: %w", id, err)
		}
		rows, err := tx.Query(ctx, `UPDATE deployments SET status = $2, updated_at = now() WHERE id = $1
			RETURNING `+deploymentSummaryColumns, id, string(status))
		if err != nil {
			return fmt.Errorf("updating deployment %d: %w", id, err)
		}
		d, err := pgx.CollectExactlyOneRow(rows, scanDeploymentSummary)
		if err != nil {
			return fmt.Errorf("updating deployment %d: %w", id, err)
		}
		if prev == status {
			return nil
		}
		return s.deploymentEvent(ctx, tx, d, eventOf(status))
	})
}

// FinishDeployment records the outcome of an unfinished deployment. Finishing
// an already finished one is a no-op, so that a job run twice cannot rewrite
// history.
func (s *Store) FinishDeployment(ctx context.Context, id int64, r ecsconsole.DeploymentResult) error {
	if !r.Status.Finished() {
		return fmt.Errorf("finishing deployment %d with unfinished status %s", id, r.Status)
	}
	defer s.changes.wrote(Deployments, Services)
	var finished *ecsconsole.Deployment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE deployments SET status = $2, error_step = $3, error_code = $4,
			error_message = $5, finished_at = now(), updated_at = now()
			WHERE id = $1 AND status IN ('queued', 'running', 'waiting_for_dns')
			RETURNING `+deploymentSummaryColumns,
			id, string(r.Status), r.ErrorStep, r.ErrorCode, r.ErrorMessage)
		if err != nil {
			return err
		}
		d, err := pgx.CollectExactlyOneRow(rows, scanDeploymentSummary)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // finished already
		}
		if err != nil {
			return err
		}
		finished = &d
		// Webhooks hear of the outcome in the same transaction (webhooks.go).
		return s.deploymentEvent(ctx, tx, d, eventOf(r.Status))
	})
	if err != nil {
		return fmt.Errorf("finishing deployment %d: %w", id, err)
	}
	if finished != nil {
		s.observer.DeploymentFinished(*finished) // metrics (observer.go)
	}
	return nil
}

// SetDeploymentTaskDefinition records the task definition as registered
// (or reused) and its ARN.
func (s *Store) SetDeploymentTaskDefinition(ctx context.Context, id int64, td json.RawMessage, arn string) error {
	return s.execDeployment(ctx, id, `UPDATE deployments SET task_definition = $2, task_definition_arn = $3,
		updated_at = now() WHERE id = $1`, []byte(td), arn)
}

// SetDeploymentOutputs records where the deployed service can be found.
func (s *Store) SetDeploymentOutputs(ctx context.Context, id int64, o ecsconsole.Outputs) error {
	return s.execDeployment(ctx, id, `UPDATE deployments SET outputs = $2, updated_at = now() WHERE id = $1`, o)
}

// SetDNSValidation records the CNAME records a requested certificate waits for.
func (s *Store) SetDNSValidation(ctx context.Context, id int64, records []ecsconsole.DNSRecord) error {
	if records == nil {
		records = []ecsconsole.DNSRecord{}
	}
	return s.execDeployment(ctx, id, `UPDATE deployments SET dns_validation = $2, updated_at = now() WHERE id = $1`, records)
}

func (s *Store) execDeployment(ctx context.Context, id int64, sql string, args ...any) error {
	defer s.changes.wrote(Deployments, Services)
	tag, err := s.pool.Exec(ctx, sql, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("updating deployment %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("unfinished deployment %d", id)
	}
	return nil
}

// StartStep records that a step is about to call AWS. It is written before
// the call so that a crash leaves a running step to resume.
func (s *Store) StartStep(ctx context.Context, deploymentID int64, name string) error {
	defer s.changes.wrote(DeploymentSteps)
	_, err := s.pool.Exec(ctx, `INSERT INTO deployment_steps (deployment_id, name, status, runs, started_at)
		VALUES ($1, $2, 'running', 1, now())
		ON CONFLICT (deployment_id, name) DO UPDATE SET status = 'running', runs = deployment_steps.runs + 1,
			error_code = '', error_message = '', progress = '', started_at = now(), finished_at = NULL`, deploymentID, name)
	if err != nil {
		return fmt.Errorf("starting step %s of deployment %d: %w", name, deploymentID, err)
	}
	return nil
}

// SetStepProgress records what a running wait last saw, for the
// deployment's live view.
func (s *Store) SetStepProgress(ctx context.Context, deploymentID int64, name, progress string) error {
	defer s.changes.wrote(DeploymentSteps)
	_, err := s.pool.Exec(ctx, `UPDATE deployment_steps SET progress = $3 WHERE deployment_id = $1 AND name = $2`,
		deploymentID, name, progress)
	if err != nil {
		return fmt.Errorf("recording progress of step %s of deployment %d: %w", name, deploymentID, err)
	}
	return nil
}

// FinishStep records a step's outcome after its AWS call, creating the row
// for steps that never started (skipped ones).
func (s *Store) FinishStep(ctx context.Context, deploymentID int64, name string, r ecsconsole.StepResult) error {
	detail := r.Detail
	if len(detail) == 0 {
		detail = json.RawMessage("{}")
	}
	defer s.changes.wrote(DeploymentSteps)
	_, err := s.pool.Exec(ctx, `INSERT INTO deployment_steps (deployment_id, name, status, action, resource_arn,
			aws_request_id, error_code, error_message, calls, retries, detail, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
		ON CONFLICT (deployment_id, name) DO UPDATE SET status = EXCLUDED.status, action = EXCLUDED.action,
			resource_arn = EXCLUDED.resource_arn, aws_request_id = EXCLUDED.aws_request_id,
			error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message,
			calls = deployment_steps.calls + EXCLUDED.calls, retries = deployment_steps.retries + EXCLUDED.retries,
			detail = EXCLUDED.detail, finished_at = now()`,
		deploymentID, name, string(r.Status), r.Action, r.ResourceARN, r.AWSRequestID, r.ErrorCode, r.ErrorMessage,
		r.Calls, r.Retries, []byte(detail))
	if err != nil {
		return fmt.Errorf("finishing step %s of deployment %d: %w", name, deploymentID, err)
	}
	s.observer.StepFinished(r.Status) // metrics (observer.go)
	return nil
}

// StepReads are the tables Steps depends on.
const StepReads = Reads(1 << DeploymentSteps)

// Steps returns a deployment's steps in the order they started (never-started
// ones last).
func (s *Store) Steps(ctx context.Context, deploymentID int64) ([]ecsconsole.DeploymentStep, error) {
	rows, err := s.pool.Query(ctx, `SELECT deployment_id, name, status, action, resource_arn, aws_request_id,
		error_code, error_message, runs, calls, retries, detail, progress, started_at, finished_at
		FROM deployment_steps WHERE deployment_id = $1
		ORDER BY started_at NULLS LAST, finished_at, name`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("reading steps of deployment %d: %w", deploymentID, err)
	}
	steps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ecsconsole.DeploymentStep, error) {
		var st ecsconsole.DeploymentStep
		err := r.Scan(&st.DeploymentID, &st.Name, &st.Status, &st.Action, &st.ResourceARN, &st.AWSRequestID,
			&st.ErrorCode, &st.ErrorMessage, &st.Runs, &st.Calls, &st.Retries, &st.Detail, &st.Progress, &st.StartedAt, &st.FinishedAt)
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading steps of deployment %d: %w", deploymentID, err)
	}
	return steps, nil
}
