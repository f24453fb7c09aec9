package handlers

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
)

// Catalog is what the wizard reads from AWS for its pickers
// (catalog.Catalog): list and describe calls only.
type Catalog interface {
	VPCs(ctx context.Context, region string) ([]catalog.VPC, error)
	Subnets(ctx context.Context, region string) ([]deploy.CatalogSubnet, error)
	SecurityGroups(ctx context.Context, region string) ([]catalog.SecurityGroup, error)
	Clusters(ctx context.Context, region string) ([]catalog.ClusterSummary, error)
	Families(ctx context.Context, region string) ([]string, error)
	LatestTaskDefinition(ctx context.Context, region, family string) (json.RawMessage, error)
	Certificates(ctx context.Context, region string) ([]catalog.Certificate, error)
	Roles(ctx context.Context, region string) ([]catalog.Role, error)
}

// lookupTTL is how long a list read from AWS is reused for one user and
// region. A minute covers a walk through the wizard's steps (Back, refresh,
// a refused Next) with one call per list instead of one per page view,
// while something created meanwhile elsewhere (a cluster, an issued
// certificate) shows up within a minute; "Refresh lists" forgets them at
// once. Failures are not kept: the next view asks again.
const lookupTTL = time.Minute

// lookupCallTimeout bounds one AWS list call, so a slow AWS delays a
// wizard page by at most this before the field says it could not list.
const lookupCallTimeout = 5 * time.Second

// lookups caches the catalog per user and region, in memory.
type lookups struct {
	catalog Catalog
	ttl     time.Duration
	now     func() time.Time

	mu      sync.Mutex
	entries map[lookupKey]lookupEntry
}

type lookupKey struct {
	user   int64
	region string
	list   string
}

type lookupEntry struct {
	at    time.Time
	value any
}

func newLookups(c Catalog, ttl time.Duration) *lookups {
	return &lookups{catalog: c, ttl: ttl, now: time.Now, entries: map[lookupKey]lookupEntry{}}
}

// forget drops a user's cached lists (the "Refresh lists" button).
func (l *lookups) forget(user int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.entries {
		if k.user == user {
			delete(l.entries, k)
		}
	}
}

// cached returns the list named list for user and region, reading it with
// fetch when absent or older than the TTL. Expired entries of everyone are
// swept on the way, so the map stays as small as the recent users.
func cached[T any](ctx context.Context, l *lookups, user int64, region, list string, fetch func(context.Context) (T, error)) (T, error) {
	key := lookupKey{user, region, list}
	now := l.now()
	l.mu.Lock()
	e, ok := l.entries[key]
	if len(l.entries) > 1000 {
		for k, e := range l.entries {
			if now.Sub(e.at) >= l.ttl {
				delete(l.entries, k)
			}
		}
	}
	l.mu.Unlock()
	if ok && now.Sub(e.at) < l.ttl {
		return e.value.(T), nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupCallTimeout)
	defer cancel()
	v, err := fetch(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	l.mu.Lock()
	l.entries[key] = lookupEntry{at: now, value: v}
	l.mu.Unlock()
	return v, nil
}

func (l *lookups) vpcs(ctx context.Context, user int64, region string) ([]catalog.VPC, error) {
	return cached(ctx, l, user, region, "vpcs", func(ctx context.Context) ([]catalog.VPC, error) { return l.catalog.VPCs(ctx, region) })
}

func (l *lookups) subnets(ctx context.Context, user int64, region string) ([]deploy.CatalogSubnet, error) {
	return cached(ctx, l, user, region, "subnets", func(ctx context.Context) ([]deploy.CatalogSubnet, error) { return l.catalog.Subnets(ctx, region) })
}

func (l *lookups) securityGroups(ctx context.Context, user int64, region string) ([]catalog.SecurityGroup, error) {
	return cached(ctx, l, user, region, "sgs", func(ctx context.Context) ([]catalog.SecurityGroup, error) {
		return l.catalog.SecurityGroups(ctx, region)
	})
}

func (l *lookups) clusters(ctx context.Context, user int64, region string) ([]catalog.ClusterSummary, error) {
	return cached(ctx, l, user, region, "clusters", func(ctx context.Context) ([]catalog.ClusterSummary, error) {
		return l.catalog.Clusters(ctx, region)
	})
}

func (l *lookups) families(ctx context.Context, user int64, region string) ([]string, error) {
	return cached(ctx, l, user, region, "families", func(ctx context.Context) ([]string, error) { return l.catalog.Families(ctx, region) })
}

func (l *lookups) certificates(ctx context.Context, user int64, region string) ([]catalog.Certificate, error) {
	return cached(ctx, l, user, region, "certs", func(ctx context.Context) ([]catalog.Certificate, error) {
		return l.catalog.Certificates(ctx, region)
	})
}

func (l *lookups) roles(ctx context.Context, user int64, region string) ([]catalog.Role, error) {
	return cached(ctx, l, user, region, "roles", func(ctx context.Context) ([]catalog.Role, error) { return l.catalog.Roles(ctx, region) })
}
