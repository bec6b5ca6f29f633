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

// A form that never reached the member (the bot was removed, the member
// left): marked failed, and the member told in their one-to-one chat with
// the bot, the one place a card can still reach them.
func TestAbandonedSendFormTellsTheMemberInP2P(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo Buy milk")
	v.e.AbandonJob(context.Background(), JobSendForm, it.ID, errors.New("11206 user not in chat"))
	if got := v.store.get(t, it.ID).Status; got != StatusFailed {
		t.Fatalf("status = %s, want failed", got)
	}
	dms := v.sender.only(t, "dm")
	if ops := v.sender.ops(); len(ops) != 1 || len(dms) != 1 || dms[0].OpenID != userID {
		t.Fatalf("sender calls = %q, want one notice to the member in p2p", ops)
	}
	if got := cardText(t, dms[0].Card); !strings.Contains(got, "could not be shown") {
		t.Errorf("notice = %s", got)
	}
}
