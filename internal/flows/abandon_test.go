package flows

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The platform refuses the final card for good after the member was told
// "Todo created": the interaction is marked failed, the form removed, and
// the member told in a new card that nothing was posted.
func TestAbandonedFinishTellsTheMember(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	v.run(t, JobSendForm, it.ID)
	v.click(t, it, userID, ActionSubmit, validForm())

	v.e.AbandonJob(context.Background(), JobFinish, it.ID, errors.New("230099 card refused"))
	if got := v.store.get(t, it.ID).Status; got != StatusFailed {
		t.Fatalf("status = %s, want failed", got)
	}
	ops := v.sender.ops()
	if len(ops) != 3 || ops[1] != "delete om_eph_1" || !strings.HasPrefix(ops[2], "send ") {
		t.Fatalf("sender calls = %q, want the form deleted and a notice sent", ops)
	}
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastError, "This form could not be completed")
}

// A form that never reached the member: marked failed, nothing sent.
func TestAbandonedSendFormIsQuiet(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	v.e.AbandonJob(context.Background(), JobSendForm, it.ID, errors.New("11206 user not in chat"))
	if got := v.store.get(t, it.ID).Status; got != StatusFailed {
		t.Fatalf("status = %s, want failed", got)
	}
	if ops := v.sender.ops(); len(ops) != 0 {
		t.Fatalf("sender calls = %q, want none", ops)
	}
}
