package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// The platform refuses the final card for good after the member was told
// "Todo created": the interaction is marked failed, the form removed, and
// the member told in a new card that nothing was posted.
func TestAbandonedFinishTellsTheMember(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo Buy milk")
	v.Run(t, flows.JobSendForm, it.ID)
	v.Click(t, it, userID, flows.ActionSubmit, validForm())

	v.E.AbandonJob(context.Background(), flows.JobFinish, it.ID, errors.New("230099 card refused"))
	if got := v.Store.Get(t, it.ID).Status; got != flows.StatusFailed {
		t.Fatalf("status = %s, want failed", got)
	}
	ops := v.Sender.Ops()
	if len(ops) != 3 || ops[1] != "delete om_eph_1" || !strings.HasPrefix(ops[2], "send ") {
		t.Fatalf("sender calls = %q, want the form deleted and a notice sent", ops)
	}
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastError, "This form could not be completed")
}

// A form that never reached the member (the bot was removed, the member
// left): marked failed, and the member told in their one-to-one chat with
// the bot, the one place a card can still reach them.
func TestAbandonedSendFormTellsTheMemberInP2P(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo Buy milk")
	v.E.AbandonJob(context.Background(), flows.JobSendForm, it.ID, errors.New("11206 user not in chat"))
	if got := v.Store.Get(t, it.ID).Status; got != flows.StatusFailed {
		t.Fatalf("status = %s, want failed", got)
	}
	dms := v.Sender.Only(t, "dm")
	if ops := v.Sender.Ops(); len(ops) != 1 || len(dms) != 1 || dms[0].OpenID != userID {
		t.Fatalf("sender calls = %q, want one notice to the member in p2p", ops)
	}
	if got := flowtest.CardText(t, dms[0].Card); !strings.Contains(got, "could not be shown") {
		t.Errorf("notice = %s", got)
	}
}
