package flows

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// memOutbox is an in-memory Outbox with the semantics of the Redis one.
type memOutbox struct {
	mu        sync.Mutex
	m         map[string]OutboxEntry
	ambiguous []string
}

func newMemOutbox() *memOutbox { return &memOutbox{m: map[string]OutboxEntry{}} }

func (o *memOutbox) Begin(_ context.Context, id, effect string) (OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	prev := o.m[id+"/"+effect]
	if prev.State == OutboxDone {
		return prev, nil
	}
	if prev.State == OutboxStarted {
		o.ambiguous = append(o.ambiguous, effect+":"+id)
	}
	o.m[id+"/"+effect] = OutboxEntry{State: OutboxStarted}
	return prev, nil
}

func (o *memOutbox) Complete(_ context.Context, id, effect, result string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[id+"/"+effect] = OutboxEntry{State: OutboxDone, Result: result}
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
	if o.m[id+"/"+effect].State != OutboxStarted {
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
	v.e.deps.Outbox = o
	return v, o
}

// The form was sent but the process could not record its id (a crash, or
// Redis failing right then): the next run finds the send done in the outbox
// and records that message id instead of sending a second form.
func TestOutboxSpareSecondForm(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.start(t, "/todo Buy milk")
	errDown := errors.New("redis down")
	v.sender.hooks["send"] = func() { v.store.failUpdate = errDown }
	if err := v.e.RunJob(context.Background(), JobSendForm, it.ID); !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want %v", err, errDown)
	}
	v.run(t, JobSendForm, it.ID)
	wantOps(t, v.sender, "send om_eph_1")
	if got := v.store.get(t, it.ID).EphemeralMessageID; got != "om_eph_1" {
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
	it := v.start(t, "/todo Buy milk")
	if _, err := o.Begin(context.Background(), it.ID, effectSendForm); err != nil { // the crashed run
		t.Fatal(err)
	}
	v.run(t, JobSendForm, it.ID)
	wantOps(t, v.sender, "send om_eph_1")
	if len(o.ambiguous) != 1 || o.ambiguous[0] != "send_form:"+it.ID {
		t.Fatalf("ambiguous = %v", o.ambiguous)
	}
}

// A refusal from the platform is certain: the effect is forgotten, so the
// next try is not mistaken for a crash.
func TestOutboxRefusalIsNotAmbiguous(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.start(t, "/todo Buy milk")
	v.sender.fail["send"] = refused{}
	if err := v.e.RunJob(context.Background(), JobSendForm, it.ID); !isPermanent(err) {
		t.Fatalf("err = %v, want a permanent refusal", err)
	}
	delete(v.sender.fail, "send")
	v.run(t, JobSendForm, it.ID)
	if len(o.ambiguous) != 0 {
		t.Errorf("ambiguous = %v, want none after a refusal", o.ambiguous)
	}
}

// Every effect of a finished interaction is recorded, so re-running finish
// calls nothing.
func TestOutboxRecordsEveryEffect(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.start(t, "/todo Buy milk")
	v.run(t, JobSendForm, it.ID)
	v.click(t, it, userID, ActionSubmit, validForm())
	v.run(t, JobFinish, it.ID)
	for _, effect := range []string{effectSendForm, effectPostFinal, effectDelete("om_eph_1")} {
		if e := o.m[it.ID+"/"+effect]; e.State != OutboxDone {
			t.Errorf("%s: %+v, want done", effect, e)
		}
	}
}

// The form's send was interrupted (started, never recorded) and the member
// submitted anyway: finish cannot delete a form whose id it never learnt,
// so it flags the case instead of passing over it in silence.
func TestOutboxFlagsFormLostToACrash(t *testing.T) {
	v, o := newEnvWithOutbox(t)
	it := v.start(t, "/todo Buy milk")
	if _, err := o.Begin(context.Background(), it.ID, effectSendForm); err != nil { // the crashed run
		t.Fatal(err)
	}
	v.click(t, it, userID, ActionSubmit, validForm())
	v.run(t, JobFinish, it.ID)
	if len(o.ambiguous) != 1 || o.ambiguous[0] != "send_form:"+it.ID {
		t.Fatalf("ambiguous = %v, want the interrupted send", o.ambiguous)
	}
}
