package flows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// bare is a flow with nothing but a form.
type bare struct{ name string }

func (f bare) Name() string                                        { return f.name }
func (bare) Describe(string) string                                { return "" }
func (bare) Start(*flows.Interaction, flows.Command, time.Time)    {}
func (bare) Form(*flows.Interaction, flows.FieldErrors) *card.Card { return card.New(card.Header{}) }

// jobbed is a flow with jobs of its own.
type jobbed struct {
	bare
	specs []flows.JobSpec
}

func (f jobbed) Jobs() []flows.JobSpec { return f.specs }

// catchall answers unknown commands.
type catchall struct{ bare }

func (catchall) Catchall() {}

func run(context.Context, flows.Host, string) error { return nil }

// What a flow declares is checked when it registers: a wiring mistake
// panics at start, never at the first job or click.
func TestRegisterChecksDeclarations(t *testing.T) {
	ok := flows.JobSpec{Kind: "demo_fire", MaxRetry: 3, DuePrefix: "demo:", Run: run}
	for name, fs := range map[string][]flows.Flow{
		"a job without retries": {jobbed{bare{"a"}, []flows.JobSpec{{Kind: "demo_fire", Run: run}}}},
		"a job without a run":   {jobbed{bare{"a"}, []flows.JobSpec{{Kind: "demo_fire", MaxRetry: 1}}}},
		"a job without a kind":  {jobbed{bare{"a"}, []flows.JobSpec{{MaxRetry: 1, Run: run}}}},
		"a step's kind":         {jobbed{bare{"a"}, []flows.JobSpec{{Kind: flows.JobFinish, MaxRetry: 1, Run: run}}}},
		"a kind twice":          {jobbed{bare{"a"}, []flows.JobSpec{ok}}, jobbed{bare{"b"}, []flows.JobSpec{{Kind: "demo_fire", MaxRetry: 1, Run: run}}}},
		"overlapping due sets":  {jobbed{bare{"a"}, []flows.JobSpec{ok}}, jobbed{bare{"b"}, []flows.JobSpec{{Kind: "b_fire", MaxRetry: 1, DuePrefix: "demo:x", Run: run}}}},
		"two catch-alls":        {catchall{bare{"a"}}, catchall{bare{"b"}}},
		"a name twice":          {bare{"a"}, bare{"a"}},
		"an upper-case name":    {bare{"Todo"}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("registered")
				}
			}()
			flowtest.New(t, fs...)
		})
	}
	// The engine's specs are the steps and then the flows' own, as the
	// job queue reads them.
	v := flowtest.New(t, jobbed{bare{"a"}, []flows.JobSpec{ok}})
	specs := v.E.JobSpecs()
	if len(specs) != 4 || specs[3].Kind != "demo_fire" || specs[3].MaxRetry != 3 {
		t.Errorf("JobSpecs = %+v", specs)
	}
}

// A due member goes to the job whose prefix it starts with; one nobody
// claims is a permanent error.
func TestEnqueueDueRoutesByPrefix(t *testing.T) {
	v := flowtest.New(t, jobbed{bare{"a"}, []flows.JobSpec{{Kind: "demo_fire", MaxRetry: 1, DuePrefix: "demo:", Run: run}}})
	if err := v.E.EnqueueDue(context.Background(), "demo:x:1"); err != nil {
		t.Fatal(err)
	}
	if jobs := v.Jobs.List(); len(jobs) != 1 || jobs[0] != (flowtest.Job{Kind: "demo_fire", ID: "demo:x:1"}) {
		t.Fatalf("jobs = %+v", jobs)
	}
	err := v.E.EnqueueDue(context.Background(), "other:x:1")
	var r interface{ Retryable() bool }
	if !errors.As(err, &r) || r.Retryable() {
		t.Fatalf("EnqueueDue(unclaimed) = %v, want a permanent error", err)
	}
}
