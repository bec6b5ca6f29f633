package flows

import (
	"context"
	"testing"
)

// The races between send_form and the user or another run of the job, with
// the interleavings forced by hooks inside the Sender fake.

// The user cancels while send_form waits for the platform: the cancel job
// finds no form to delete, so send_form deletes the form it just recorded.
func TestCancelWhileSending(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo x")
	v.sender.hooks["send"] = func() {
		wantToast(t, v.click(t, it, userID, ActionCancel, nil), ToastInfo, "Cancelled")
		v.run(t, JobCancel, it.ID)
	}
	v.run(t, JobSendForm, it.ID)
	wantOps(t, v.sender, "send om_eph_1", "delete om_eph_1")
	if got := v.store.get(t, it.ID); got.Status != StatusCancelled || got.EphemeralMessageID != "om_eph_1" {
		t.Errorf("interaction = %+v", got)
	}
}

// The user submits and the finish job completes while send_form waits: the
// interaction is done before its form is recorded, so send_form deletes it.
func TestFinishWhileSending(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo x")
	v.sender.hooks["send"] = func() {
		v.click(t, it, userID, ActionSubmit, validForm())
		v.run(t, JobFinish, it.ID)
	}
	v.run(t, JobSendForm, it.ID)
	wantOps(t, v.sender, "post om_post_2", "send om_eph_1", "delete om_eph_1")
}

// send_form records the form while finish is posting: finish read the
// interaction without the form, and deletes it once it sees it.
func TestFormRecordedWhilePosting(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo x")
	v.click(t, it, userID, ActionSubmit, validForm())
	v.sender.hooks["post"] = func() {
		v.store.modify(t, it.ID, func(it *Interaction) { it.EphemeralMessageID = "om_late" })
	}
	v.run(t, JobFinish, it.ID)
	wantOps(t, v.sender, "post om_post_1", "delete om_late")
	if got := v.store.get(t, it.ID); got.Status != StatusDone {
		t.Errorf("status = %s", got.Status)
	}
}

// Two runs of send_form overlap: both send, the first to record wins, the
// other deletes its own form.
func TestSendFormTwice(t *testing.T) {
	v := newEnv(t)
	it := v.start(t, "/todo x")
	v.sender.hooks["send"] = func() { v.run(t, JobSendForm, it.ID) }
	v.run(t, JobSendForm, it.ID)
	wantOps(t, v.sender, "send om_eph_2", "send om_eph_1", "delete om_eph_1")
	if got := v.store.get(t, it.ID).EphemeralMessageID; got != "om_eph_2" {
		t.Errorf("EphemeralMessageID = %q, want the first recorded", got)
	}
}

// With a queue that runs jobs at once, the whole story takes three calls.
func TestInlineJobs(t *testing.T) {
	v := newEnv(t)
	v.jobs.inline = v.e
	if err := v.e.HandleMessage(context.Background(), message("@_user_1 /todo Buy milk @_user_2")); err != nil {
		t.Fatal(err)
	}
	it := v.store.get(t, "itx_test1")
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastSuccess, "Todo created")
	wantOps(t, v.sender, "send om_eph_1", "post om_post_2", "delete om_eph_1")
	if len(v.jobs.errs) != 0 {
		t.Errorf("job errors: %v", v.jobs.errs)
	}
}
