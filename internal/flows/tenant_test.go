package flows_test

import (
	"context"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
	"github.com/botd/botd/internal/tenant"
)

// An event whose payload names another tenant than its context is
// refused, and changes nothing; one that names none takes its context's.
func TestEventTenantMatchesContext(t *testing.T) {
	v := flowtest.New(t, bare{name: "todo"})
	m := flowtest.Message("/todo x") // tenant "tk"
	if err := v.E.HandleMessage(tenant.With(context.Background(), "other"), m); err == nil {
		t.Fatal("a message of tenant tk handled for tenant other")
	}
	if n := len(v.Jobs.List()); n != 0 {
		t.Fatalf("%d jobs queued for a refused message", n)
	}
	m.TenantKey = ""
	if err := v.E.HandleMessage(tenant.With(context.Background(), "tk2"), m); err != nil {
		t.Fatal(err)
	}
	jobs := v.Jobs.List()
	if len(jobs) != 1 {
		t.Fatalf("jobs %v", jobs)
	}
	if it := v.Store.Get(t, jobs[0].ID); it.TenantKey != "tk2" {
		t.Fatalf("interaction of tenant %q, want the context's", it.TenantKey)
	}
	ans, err := v.E.HandleAction(tenant.With(context.Background(), "other"), flows.Action{TenantKey: "tk2", OperatorID: flowtest.UserID,
		Value: flows.FormButtonValue(v.Store.Get(t, jobs[0].ID), flows.ActionSubmit)})
	if err != nil || ans.Toast == nil || ans.Toast.Type != flows.ToastError {
		t.Fatalf("a click of tenant tk2 handled for tenant other: %+v, %v", ans.Toast, err)
	}
}
