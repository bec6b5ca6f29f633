// Package tenant carries the tenant an event, callback, job or schedule
// belongs to through a context.Context.
//
// A self-built app serves one tenant, so nothing is scoped and no context
// needs a tenant. A store app (BOTD_APP_TYPE=store) serves many tenants at
// once: the receiver puts each event's tenant_key into its context, jobs
// and schedules carry it in their payloads and put it back, and everything
// that reaches Redis or the Open API reads it from there. Code that must be
// scoped refuses a context without a tenant in store mode (Require) rather
// than fall back to an unscoped key: a forgotten tenant is an error, never
// data shared between tenants.
package tenant

import (
	"context"
	"errors"
	"fmt"
)

type ctxKey struct{}

// ErrMissing is returned by Require when a store app's work has no tenant.
var ErrMissing = errors.New("tenant: no tenant_key in context (store app)")

// MaxKeyLen bounds a tenant_key: the platform's are 16 hex digits; this
// leaves room while keeping keys built from it short.
const MaxKeyLen = 64

// With returns ctx carrying the tenant key.
func With(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, ctxKey{}, key)
}

// From returns the tenant key ctx carries, or "" and false.
func From(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(ctxKey{}).(string)
	return k, ok && k != ""
}

// Require returns ctx's tenant key, or ErrMissing.
func Require(ctx context.Context) (string, error) {
	if k, ok := From(ctx); ok {
		return k, nil
	}
	return "", ErrMissing
}

// Check reports whether key can be used as a tenant key: 1 to MaxKeyLen
// letters, digits, '_' or '-' (it ends up inside Redis keys and job ids,
// so no ':', '{', '}' or spaces).
func Check(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("tenant: bad tenant_key length %d", len(key))
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("tenant: bad tenant_key %q", key)
		}
	}
	return nil
}
