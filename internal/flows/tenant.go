package flows

import (
	"context"
	"fmt"

	"github.com/botd/botd/internal/tenant"
)

// The engine never chooses a tenant. A store app's receiver puts each
// event's tenant into its context (tenant.With), the job queue and the
// scheduler put a job's back, and the engine hands that context, and
// nothing else, to every store, queue and sender it calls: they scope
// their keys and tokens by it (internal/state, internal/ephemeral). So a
// form, record or card of one tenant is never found from another's click
// or job, even when the two use the same ids: it is looked for under the
// clicking tenant's keys, where it is not. No engine path makes a fresh
// context (context.Background) for its work.

// eventTenant is the tenant of an event whose payload names key: ctx's
// tenant when the payload names none, and an error when the two differ
// (a receiver's bug, never to be settled by picking one).
func eventTenant(ctx context.Context, key string) (string, error) {
	fromCtx, ok := tenant.From(ctx)
	switch {
	case !ok:
		return key, nil
	case key == "":
		return fromCtx, nil
	case key != fromCtx:
		return "", fmt.Errorf("event of tenant %q handled for tenant %q", key, fromCtx)
	}
	return key, nil
}
