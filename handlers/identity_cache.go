package handlers

import (
	"context"
	"time"

	"github.com/ecsconsole/ecsconsole/cache"
)

// identityCache remembers the AWS identity for a while: it changes only
// when credentials do, and STS should not be called on every page view.
// No lock is held while STS is asked: views that come meanwhile wait for
// that one call (each no longer than its own request), and a failure is
// kept for identityErrorTTL, so that while STS fails an Overview view
// answers at once instead of queueing behind the others' 5 s calls.
type identityCache struct {
	fetch Identity
	c     *cache.Cache[struct{}, awsIdentity]
}

type awsIdentity struct{ arn, account string }

// identityTimeout bounds one STS call.
const identityTimeout = 5 * time.Second

// identityErrorTTL is how long a failed STS call is shown before STS is
// asked again.
const identityErrorTTL = 10 * time.Second

func newIdentityCache(fetch Identity, ttl time.Duration, budget int64) *identityCache {
	return &identityCache{fetch: fetch, c: cache.New(cache.Options[struct{}, awsIdentity]{
		Budget: budget, TTL: ttl, ErrorTTL: identityErrorTTL})}
}

func (c *identityCache) get(ctx context.Context) (arn, account string, err error) {
	if c.fetch == nil {
		return "", "", nil
	}
	id, err := c.c.Get(ctx, struct{}{}, func(ctx context.Context) (awsIdentity, error) {
		// The call serves every view waiting for it: the first viewer
		// leaving does not cancel it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), identityTimeout)
		defer cancel()
		arn, account, err := c.fetch(ctx)
		return awsIdentity{arn, account}, err
	})
	return id.arn, id.account, err
}
