package deploy

import (
	"context"

	"github.com/ecsconsole/ecsconsole"
)

// RevisionSetBy names which of the console's own deployments of
// serviceKey, made after the serving one (servingID), recorded the
// revision the service runs (liveARN): a later deployment that did not
// succeed may have left it running. It returns 0 when none did, so the
// revision was set outside the console.
func (e *Engine) RevisionSetBy(ctx context.Context, serviceKey string, servingID int64, liveARN string) (int64, ecsconsole.DeploymentStatus, error) {
	if liveARN == "" {
		return 0, "", nil
	}
	return e.store.DeploymentWithRevision(ctx, serviceKey, liveARN, servingID)
}
