package builtin

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/botd/botd/internal/flows"
)

// memOutbox is an in-memory Outbox with the semantics of the Redis one.
type memOutbox struct {
	mu        sync.Mutex
	m         map[string]flows.OutboxEntry
	ambiguous []string
}

func newMemOutbox() *memOutbox { return &memOutbox{m: map[string]flows.OutboxEntry{}} }

func (o *memOutbox) Begin(_ context.Context, id, effect string) (flows.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	prev := o.m[id+"/"+effect]
	if prev.State == flows.OutboxDone {
		return prev, nil
	}
	if prev.State == flows.OutboxStarted {
		o.ambiguous = append(o.ambiguous, effect+":"+id)
	}
	o.m[id+"/"+effect] = flows.OutboxEntry{State: flows.OutboxStarted}
	return prev, nil
}

func (o *memOutbox) Complete(_ context.Context, id, effect, result string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[id+"/"+effect] = flows.OutboxEntry{State: flows.OutboxDone, Result: result}
	return nil
}

func (o *memOutbox) Abort(_ context.Context, id, effect string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, id+"/"+effect)
	return nil
}

func (o *memOutbox) FlagIfStarted(_ context.Context, id, effect string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m[id+"/"+effect].State != flows.OutboxStarted {
		return false, nil
	}
	o.ambiguous = append(o.ambiguous, effect+":"+id)
	return true, nil
}

// refused is a Sender error after which the platform certainly did nothing.
type refused struct{}

func (refused) Error() string    { return "refused: 230002 bot not in chat" }
func (refused) Retryable() bool  { return false }
func (refused) NotApplied() bool { return true }

func newEnvWithOutbox(t *testing.T) (*env, *memOutbox) {
	t.Helper()
	v := newEnv(t)
	o := newMemOutbox()
	v.Rebuild(t, func(d *flows.Deps) { d.Outbox = o })
	return v, o
}

// The form was sent but the process could not record its id (a crash, or
// Redis failing right then): the next run finds the send done in the outbox
// and records that message id instead of sending a second form.
func TestOutboxSpareSecondForm(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.Start(t, "/todo Buy milk")
	errDown := errors.New("redis down")
	v.Sender.Hook("send", func() { v.Store.FailUpdate = errDown })
	if err := v.E.RunJob(context.Background(), flows.JobSendForm, it.ID); !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want %v", err, errDown)
	}
	v.Run(t, flows.JobSendForm, it.ID)
	wantOps(t, v.Sender, "send om_eph_1")
	if got := v.Store.Get(t, it.ID).EphemeralMessageID; got != "om_eph_1" {
		t.Fatalf("EphemeralMessageID = %q, want the one sent first", got)
	}
	if len(o.ambiguous) != 0 {
		t.Errorf("ambiguous = %v, want none", o.ambiguous)
	}
}

// A run that began the send and never finished it (killed mid-call) leaves
// the outcome unknown: the next run sends again and the case is flagged.
func TestOutboxAmbiguousSendIsRedoneAndFlagged(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.Start(t, "/todo Buy milk")
	if _, err := o.Begin(context.Background(), it.ID, effectSendForm); err != nil { // the crashed run
		t.Fatal(err)
	}
	v.Run(t, flows.JobSendForm, it.ID)
	wantOps(t, v.Sender, "send om_eph_1")
	if len(o.ambiguous) != 1 || o.ambiguous[0] != "send_form:"+it.ID {
		t.Fatalf("ambiguous = %v", o.ambiguous)
	}
}

// A refusal from the platform is certain: the effect is forgotten, so the
// next try is not mistaken for a crash.
func TestOutboxRefusalIsNotAmbiguous(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.Start(t, "/todo Buy milk")
	v.Sender.Fail("send", refused{})
	if err := v.E.RunJob(context.Background(), flows.JobSendForm, it.ID); !isPermanent(err) {
		t.Fatalf("err = %v, want a permanent refusal", err)
	}
	v.Sender.Fail("send", nil)
	v.Run(t, flows.JobSendForm, it.ID)
	if len(o.ambiguous) != 0 {
		t.Errorf("ambiguous = %v, want none after a refusal", o.ambiguous)
	}
}

// Every effect of a finished interaction is recorded, so re-running finish
// calls nothing.
func TestOutboxRecordsEveryEffect(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.Start(t, "/todo Buy milk")
	v.Run(t, flows.JobSendForm, it.ID)
	v.Click(t, it, userID, flows.ActionSubmit, validForm())
	v.Run(t, flows.JobFinish, it.ID)
	for _, effect := range []string{effectSendForm, effectPostFinal, effectDelete("om_eph_1")} {
		if e := o.m[it.ID+"/"+effect]; e.State != flows.OutboxDone {
			t.Errorf("%s: %+v, want done", effect, e)
		}
	}
}

// The form's send was interrupted (started, never recorded) and the member
// submitted anyway: finish cannot delete a form whose id it never learnt,
// so it flags the case instead of passing over it in silence.
func TestOutboxFlagsFormLostToACrash(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.Start(t, "/todo Buy milk")
	if _, err := o.Begin(context.Background(), it.ID, effectSendForm); err != nil { // the crashed run
		t.Fatal(err)
	}
	v.Click(t, it, userID, flows.ActionSubmit, validForm())
	v.Run(t, flows.JobFinish, it.ID)
	if len(o.ambiguous) != 1 || o.ambiguous[0] != "send_form:"+it.ID {
		t.Fatalf("ambiguous = %v, want the interrupted send", o.ambiguous)
	}
}

// heldBack is a Sender error for a call that was never made: the rate
// limiter's turn, or a store app's app_ticket still to come.
type heldBack struct{ paced bool }

func (heldBack) Error() string    { return "held back" }
func (heldBack) Retryable() bool  { return true }
func (h heldBack) Paced() bool    { return h.paced }
func (h heldBack) Deferred() bool { return !h.paced }

// A call held back before it was made is no effect started: the retry that
// makes it is not flagged as a crash's.
func TestOutboxHeldBackIsNotAmbiguous(t *testing.T) {
	for _, paced := range []bool{true, false} {
		v, o := newEnvWithOutbox(t)
		it := v.Start(t, "/todo Buy milk")
		v.Sender.Fail("send", heldBack{paced: paced})
		if err := v.E.RunJob(context.Background(), flows.JobSendForm, it.ID); err == nil {
			t.Fatal("a held-back send succeeded")
		}
		v.Sender.Fail("send", nil)
		v.Run(t, flows.JobSendForm, it.ID)
		if len(o.ambiguous) != 0 {
			t.Errorf("paced=%v: ambiguous = %v, want none", paced, o.ambiguous)
		}
	}
}
