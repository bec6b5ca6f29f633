package builtin

import (
	"context"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// The races between send_form and the user or another run of the job, with
// the interleavings forced by hooks inside the Sender fake.

// The user cancels while send_form waits for the platform: the cancel job
// finds no form to delete, so send_form deletes the form it just recorded.
func TestCancelWhileSending(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo x")
	v.Sender.Hook("send", func() {
		wantToast(t, v.Click(t, it, userID, flows.ActionCancel, nil), flows.ToastInfo, "Cancelled")
		v.Run(t, flows.JobCancel, it.ID)
	})
	v.Run(t, flows.JobSendForm, it.ID)
	wantOps(t, v.Sender, "send om_eph_1", "delete om_eph_1")
	if got := v.Store.Get(t, it.ID); got.Status != flows.StatusCancelled || got.EphemeralMessageID != "om_eph_1" {
		t.Errorf("interaction = %+v", got)
	}
}

// The user submits and the finish job completes while send_form waits: the
// interaction is done before its form is recorded, so send_form deletes it.
func TestFinishWhileSending(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo x")
	v.Sender.Hook("send", func() {
		v.Click(t, it, userID, flows.ActionSubmit, validForm())
		v.Run(t, flows.JobFinish, it.ID)
	})
	v.Run(t, flows.JobSendForm, it.ID)
	wantOps(t, v.Sender, "post om_post_2", "send om_eph_1", "delete om_eph_1")
}

// send_form records the form while finish is posting: finish read the
// interaction without the form, and deletes it once it sees it.
func TestFormRecordedWhilePosting(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo x")
	v.Click(t, it, userID, flows.ActionSubmit, validForm())
	v.Sender.Hook("post", func() {
		v.Store.Modify(t, it.ID, func(it *flows.Interaction) { it.EphemeralMessageID = "om_late" })
	})
	v.Run(t, flows.JobFinish, it.ID)
	wantOps(t, v.Sender, "post om_post_1", "delete om_late")
	if got := v.Store.Get(t, it.ID); got.Status != flows.StatusDone {
		t.Errorf("status = %s", got.Status)
	}
}

// Two runs of send_form overlap: both send, the first to record wins, the
// other deletes its own form.
func TestSendFormTwice(t *testing.T) {
	v := newEnv(t)
	it := v.Start(t, "/todo x")
	v.Sender.Hook("send", func() { v.Run(t, flows.JobSendForm, it.ID) })
	v.Run(t, flows.JobSendForm, it.ID)
	wantOps(t, v.Sender, "send om_eph_2", "send om_eph_1", "delete om_eph_1")
	if got := v.Store.Get(t, it.ID).EphemeralMessageID; got != "om_eph_2" {
		t.Errorf("EphemeralMessageID = %q, want the first recorded", got)
	}
}

// With a queue that runs jobs at once, the whole story takes three calls.
func TestInlineJobs(t *testing.T) {
	v := newEnv(t)
	v.Jobs.Inline(v.E)
	if err := v.E.HandleMessage(context.Background(), flowtest.Message("@_user_1 /todo Buy milk @_user_2")); err != nil {
		t.Fatal(err)
	}
	it := v.Store.Get(t, "itx_test1")
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastSuccess, "Todo created")
	wantOps(t, v.Sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	if len(v.Jobs.Errs()) != 0 {
		t.Errorf("job errors: %v", v.Jobs.Errs())
	}
}
