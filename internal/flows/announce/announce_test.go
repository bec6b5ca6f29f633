package announce

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

const (
	creator = flowtest.UserID // types the commands; an admin unless a test says not
	bob     = flowtest.BobID
	other   = flowtest.OtherID
	dan     = "ou_dddddddddddddddddddddddddddddddd"
	chat    = flowtest.ChatID
)

// newEnv runs /announce alone on the fakes, with creator an admin and a
// chat of creator, bob, other and dan.
func newEnv(t *testing.T) (*flowtest.Env, *flowtest.Members) {
	t.Helper()
	v := flowtest.New(t, Flow{})
	v.Admins[creator] = true
	members := flowtest.NewMembers()
	members.Set(chat, creator, bob, other, dan)
	v.Rebuild(t, func(d *flows.Deps) { d.Members = members })
	return v, members
}

// deadlineIn is the deadline picker's value d from the test clock, in
// Shanghai, as the platform sends it.
func deadlineIn(d time.Duration) string {
	sh := time.FixedZone("+0800", 8*3600)
	return flowtest.Now.Add(d).In(sh).Format(card.DatetimeValueLayout)
}

func validForm(deadline string) map[string]any {
	return map[string]any{"title": "Office closed Friday", "body": "The **office** is closed.\n<at id=all></at> & <font color='red'>no</font>",
		"ack": "yes", "deadline": deadline}
}

func cardText(t *testing.T, c any) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

func announcementOf(t *testing.T, v *flowtest.Env, it *flows.Interaction) *Announcement {
	t.Helper()
	a, err := Records(v.E).Get(context.Background(), ID(it.ID))
	if err != nil {
		t.Fatalf("announcement of %s: %v", it.ID, err)
	}
	return a
}

// The whole life: command → form → preview → submit → group card (shown
// with its audience) → Got it clicks (a double click counts once) →
// one coalesced update job → the deadline's nudge naming exactly those who
// have not acknowledged → the final tally; a click after it changes
// nothing.
func TestLifecycle(t *testing.T) {
	v, _ := newEnv(t)
	it := v.Start(t, "@_user_1 /announce Office closed Friday")
	v.Drain(t)
	form := v.Sender.Only(t, "send")
	if len(form) != 1 || !strings.Contains(cardText(t, form[0].Card), `"default_value":"Office closed Friday"`) {
		t.Fatalf("form: %+v", form)
	}

	ans := v.Click(t, it, creator, actionPreview, validForm(deadlineIn(2*time.Hour)))
	text := cardText(t, ans.Card)
	if ans.Toast == nil || ans.Toast.Type != flows.ToastInfo || !strings.Contains(text, "Preview") ||
		!strings.Contains(text, `"content":"The **office** is closed.\n&lt;at id=all&gt;&lt;/at&gt; &amp; &lt;font`) ||
		!strings.Contains(text, "submit_btn") || flowtest.HasButton(t, ans.Card, "ack_btn") {
		t.Fatalf("preview: %+v\n%s", ans.Toast, text)
	}
	if got := v.Store.Get(t, it.ID); got.Status != flows.StatusPending {
		t.Fatalf("a preview moved the interaction to %s", got.Status)
	}

	if ans := v.Click(t, it, creator, flows.ActionSubmit, validForm(deadlineIn(2*time.Hour))); ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("submit: %+v", ans.Toast)
	}
	v.Drain(t)
	posts := v.Sender.Only(t, "post")
	if len(posts) != 1 || posts[0].ChatID != chat {
		t.Fatalf("posts: %+v", posts)
	}
	a := announcementOf(t, v, it)
	if a.Audience != 3 || a.MessageID != posts[0].ID || !a.AskAck || a.Deadline.IsZero() {
		t.Fatalf("announcement: %+v", a)
	}
	ups := v.Sender.Only(t, "update")
	if len(ups) != 1 || !strings.Contains(cardText(t, ups[0].Card), "0 of 3 acknowledged") {
		t.Fatalf("the card does not show its audience after posting: %d updates", len(ups))
	}

	group := posts[0].Card
	ans = v.CardClick(t, bob, group, "ack_btn")
	if ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess || !strings.Contains(cardText(t, ans.Card), "1 of 3 acknowledged") {
		t.Fatalf("Got it: %+v", ans.Toast)
	}
	ans = v.CardClick(t, bob, group, "ack_btn")
	if ans.Toast == nil || ans.Toast.Type != flows.ToastInfo || !strings.Contains(cardText(t, ans.Card), "1 of 3 acknowledged") {
		t.Fatalf("a second Got it: %+v", ans.Toast)
	}
	if ans := v.CardClick(t, creator, group, "ack_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastInfo {
		t.Fatalf("the author's Got it: %+v", ans.Toast)
	}
	var cardJobs []flowtest.Job
	for _, j := range v.Jobs.List() {
		if j.Kind == JobCard {
			cardJobs = append(cardJobs, j)
		}
	}
	last := cardJobs[len(cardJobs)-1]
	if len(cardJobs) != 2 || last.After <= time.Second || last.After > 2*time.Second {
		t.Fatalf("card jobs %+v: want one after posting and one for the click, delayed past its second", cardJobs)
	}
	v.Drain(t)
	ups = v.Sender.Only(t, "update")
	if len(ups) != 2 || !strings.Contains(cardText(t, ups[1].Card), "1 of 3 acknowledged") {
		t.Fatalf("updates after the click: %d", len(ups))
	}

	v.Clock.Advance(2*time.Hour + time.Second)
	v.RunDue(t)
	posts = v.Sender.Only(t, "post")
	if len(posts) != 2 {
		t.Fatalf("%d posts after the deadline, want the card and one nudge", len(posts))
	}
	nudge := cardText(t, posts[1].Card)
	for _, want := range []string{flows.AtMention(other), flows.AtMention(dan), "Office closed Friday"} {
		if !strings.Contains(nudge, want) {
			t.Errorf("the nudge lacks %q: %s", want, nudge)
		}
	}
	for _, not := range []string{bob, creator} {
		if strings.Contains(nudge, not) {
			t.Errorf("the nudge names %s, who need not be nudged", not)
		}
	}
	ups = v.Sender.Only(t, "update")
	final := cardText(t, ups[len(ups)-1].Card)
	if !strings.Contains(final, "Closed: **1 of 3 acknowledged**") || strings.Contains(final, "ack_btn") {
		t.Fatalf("the final tally: %s", final)
	}
	if a := announcementOf(t, v, it); a.Status != Closed || a.FinalAcked != 1 || a.FinalAudience != 3 || a.NudgeID != posts[1].ID {
		t.Fatalf("closed announcement: %+v", a)
	}

	// Late: a click is answered with the final card; the deadline job run
	// again posts nothing.
	if ans := v.CardClick(t, other, group, "ack_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastInfo || strings.Contains(cardText(t, ans.Card), "ack_btn") {
		t.Fatalf("a click after the deadline: %+v", ans.Toast)
	}
	v.Run(t, JobDeadline, deadlineMember(a))
	if n := len(v.Sender.Only(t, "post")); n != 2 {
		t.Fatalf("the deadline job run again posted: %d posts", n)
	}
}

// Cancel (the author or an admin, nobody else) stops the announcement:
// the deadline leaves the due set, and its job, run anyway, nudges nobody.
func TestCancelStopsTheNudge(t *testing.T) {
	v, _ := newEnv(t)
	it := v.Submit(t, "/announce", validForm(deadlineIn(time.Hour)))
	a := announcementOf(t, v, it)
	if _, ok := v.Store.Due()[deadlineMember(a)]; !ok {
		t.Fatalf("deadline not scheduled: %v", v.Store.Due())
	}
	group := v.Sender.Only(t, "post")[0].Card
	if ans := v.CardClick(t, bob, group, "announce_cancel_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastError {
		t.Fatalf("a member's cancel: %+v", ans.Toast)
	}
	ans := v.CardClick(t, creator, group, "announce_cancel_btn")
	if ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess || !strings.Contains(cardText(t, ans.Card), "Cancelled by") {
		t.Fatalf("the author's cancel: %+v", ans.Toast)
	}
	if ans := v.CardClick(t, creator, group, "announce_cancel_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastInfo {
		t.Fatalf("cancel again: %+v", ans.Toast)
	}
	if ans := v.CardClick(t, bob, group, "ack_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastInfo {
		t.Fatalf("Got it after cancel: %+v", ans.Toast)
	}
	if _, ok := v.Store.Due()[deadlineMember(a)]; ok {
		t.Fatal("the deadline is still in the due set")
	}
	v.Drain(t)
	v.Run(t, JobDeadline, deadlineMember(a)) // as if the removal had failed
	v.Clock.Advance(2 * time.Hour)
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 1 {
		t.Fatalf("%d posts: a cancelled announcement nudged", n)
	}
	ups := v.Sender.Only(t, "update")
	if last := cardText(t, ups[len(ups)-1].Card); !strings.Contains(last, "Cancelled by") || strings.Contains(last, "ack_btn") {
		t.Fatalf("card after cancel: %s", last)
	}
}

// Only admins may announce by default; the config can open it.
func TestAdminsOnlyByDefault(t *testing.T) {
	v, _ := newEnv(t)
	delete(v.Admins, creator)
	it := v.Start(t, "/announce Hello")
	if it.Flow == name {
		t.Fatal("a member who is not an admin got the announcement form")
	}
	v.Drain(t)
	if sent := v.Sender.Only(t, "send"); len(sent) != 1 || !strings.Contains(cardText(t, sent[0].Card), "/announce") {
		t.Fatalf("refusal notice: %+v", sent)
	}
	v.Rules[name] = flows.Rule{} // anyone
	if it := v.Start(t, "/announce Hello"); it.Flow != name {
		t.Fatalf("opened by the config, still refused: %s", it.Flow)
	}
}

// Thirty members clicking at once, each twice: every click counts once,
// and the card is updated by one job per second, not per click.
func TestConcurrentClicksCountOnce(t *testing.T) {
	v, members := newEnv(t)
	all := []string{creator}
	for i := range 30 {
		all = append(all, fmt.Sprintf("ou_%032d", i))
	}
	members.Set(chat, all...)
	v.Submit(t, "/announce", validForm(""))
	value := flowtest.ButtonValue(t, v.Sender.Only(t, "post")[0].Card, "ack_btn")
	before := len(v.Jobs.List())
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for _, m := range all[1:] {
		for range 2 {
			wg.Go(func() {
				ans, err := v.E.HandleAction(context.Background(), flows.Action{OperatorID: m, ChatID: chat, Tag: "button", Value: value})
				if err == nil && (ans.Toast == nil || ans.Toast.Type == flows.ToastError) {
					err = fmt.Errorf("%s: %+v", m, ans.Toast)
				}
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := countAcks(context.Background(), v.E, ID("itx_test1"))
	if err != nil || n != 30 {
		t.Fatalf("count %d (%v), want 30", n, err)
	}
	if jobs := v.Jobs.List()[before:]; len(jobs) != 30 {
		t.Fatalf("%d enqueues for 30 first clicks", len(jobs))
	} else {
		ids := map[string]bool{}
		for _, j := range jobs {
			ids[j.ID] = true
		}
		if len(ids) != 1 { // the fake clock stands still: one second, one job
			t.Fatalf("%d distinct card jobs in one second, want 1", len(ids))
		}
	}
	v.Drain(t)
	ups := v.Sender.Only(t, "update")
	if !strings.Contains(cardText(t, ups[len(ups)-1].Card), "30 of 30 acknowledged") {
		t.Fatalf("last update: %s", cardText(t, ups[len(ups)-1].Card))
	}
}

// Values botd did not make are refused with an error toast, and change
// nothing.
func TestMalformedCallbacksRefused(t *testing.T) {
	v, _ := newEnv(t)
	it := v.Submit(t, "/announce", validForm(""))
	id := ID(it.ID)
	for _, value := range []map[string]any{
		{"flow": name, "action": actionAck},
		{"flow": name, "action": actionAck, "announcement": "../" + id},
		{"flow": name, "action": actionAck, "announcement": 42},
		{"flow": name, "action": actionAck, "announcement": "an_nosuchannouncement"},
		{"flow": name, "action": "announce_delete", "announcement": id},
		{"flow": name, "action": actionPreview, "announcement": id},
		{"flow": name, "action": actionPreview, "iid": it.ID}, // the form is no longer pending
	} {
		ans := v.ClickAs(t, bob, chat, value)
		if ans.Toast == nil || (ans.Toast.Type != flows.ToastError && value["iid"] == nil) {
			t.Errorf("%v: %+v", value, ans.Toast)
		}
	}
	if n, _ := countAcks(context.Background(), v.E, id); n != 0 {
		t.Fatalf("%d acknowledgements after malformed clicks", n)
	}
	// Someone else's form: the engine refuses the preview.
	it2 := v.Start(t, "/announce")
	if ans := v.Click(t, it2, bob, actionPreview, validForm("")); ans.Toast == nil || ans.Toast.Type != flows.ToastError || ans.Card != nil {
		t.Fatalf("a preview of someone else's form: %+v", ans)
	}
	// A member of another chat (a forwarded card) is refused.
	group := v.Sender.Only(t, "post")[0].Card
	if ans := v.ClickAs(t, "ou_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "oc_elsewhere", flowtest.ButtonValue(t, group, "ack_btn")); ans.Toast == nil || ans.Toast.Type != flows.ToastError {
		t.Fatalf("a stranger's Got it: %+v", ans.Toast)
	}
	if n, _ := countAcks(context.Background(), v.E, id); n != 0 {
		t.Fatalf("%d acknowledgements after refused clicks", n)
	}
}

// Every value is bounded, and each refusal names its field in both
// languages; a refused submit posts nothing.
func TestSubmitBounds(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name  string
		edit  func(map[string]any)
		field string
		en    string
		zh    string
	}{
		{"no title", func(f map[string]any) { f["title"] = "  " }, fieldTitle, "Title", "标题"},
		{"title too long", func(f map[string]any) { f["title"] = long(101) }, fieldTitle, "Title", "标题"},
		{"body too long", func(f map[string]any) { f["body"] = long(2001) }, fieldBody, "Body", "正文"},
		{"body not text", func(f map[string]any) { f["body"] = map[string]any{"x": 1} }, fieldBody, "Body", "正文"},
		{"ack unknown", func(f map[string]any) { f["ack"] = "maybe" }, fieldAck, "Acknowledgement", "确认"},
		{"deadline past", func(f map[string]any) { f["deadline"] = deadlineIn(-time.Minute) }, fieldDue, "Deadline", "截止时间"},
		{"deadline too far", func(f map[string]any) { f["deadline"] = deadlineIn(flows.MaxAhead + 24*time.Hour) }, fieldDue, "Deadline", "截止时间"},
		{"deadline garbled", func(f map[string]any) { f["deadline"] = "friday-ish" }, fieldDue, "Deadline", "截止时间"},
		{"deadline without ack", func(f map[string]any) { f["ack"] = "no" }, fieldDue, "Deadline", "截止时间"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := newEnv(t)
			it := v.Start(t, "/announce")
			f := validForm(deadlineIn(time.Hour))
			tt.edit(f)
			ans := v.Click(t, it, creator, flows.ActionSubmit, f)
			if ans.Toast == nil || ans.Toast.Type != flows.ToastError ||
				!strings.Contains(ans.Toast.I18n[flows.LocaleEnUS], tt.en) || !strings.Contains(ans.Toast.I18n[flows.LocaleZhCN], tt.zh) {
				t.Fatalf("toast %+v, want %q / %q", ans.Toast, tt.en, tt.zh)
			}
			_, errs := Flow{}.Submit(it, flows.Submission{Values: f, Now: flowtest.Now})
			if _, ok := errs.For(tt.field, flows.LocaleEnUS); !ok || len(errs) != 1 {
				t.Fatalf("errors %v, want one on %s", errs.Fields(), tt.field)
			}
			v.Drain(t)
			if n := len(v.Sender.Only(t, "post")); n != 0 {
				t.Fatal("a refused submit posted")
			}
		})
	}
	// At the bounds: accepted.
	v, _ := newEnv(t)
	f := validForm(deadlineIn(flows.MaxAhead - time.Hour))
	f["title"], f["body"] = long(100), long(2000)
	v.Submit(t, "/announce", f)
}

// The author's markdown shows as text: no tag of it reaches the card, so
// nobody is mentioned, and the card stays valid JSON within 30 KB however
// the body is written.
func TestBodyCannotInject(t *testing.T) {
	v, _ := newEnv(t)
	f := validForm("")
	f["body"] = strings.Repeat(`<at id=all></at>"}]}\`, 2000/21)
	v.Submit(t, "/announce", f)
	c := v.Sender.Only(t, "post")[0].Card
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("card JSON: %v", err)
	}
	if text := cardText(t, c); strings.Contains(text, "<at id=all") {
		t.Fatal("a mention tag of the body reached the card")
	}
	if err := card.Validate(c.(*card.Card)); err != nil {
		t.Fatal(err)
	}
	if len(raw) > 30*1024 {
		t.Fatalf("card is %d bytes, over the platform's 30 KB", len(raw))
	}
	if got := SafeMarkdown("a <b> & c\x00\n"); got != "a &lt;b&gt; &amp; c\n" {
		t.Fatalf("SafeMarkdown: %q", got)
	}
}

// A one-to-one chat: the form in the chat, and the author, its one human
// member, is the audience; no member list is read.
func TestOneToOneChat(t *testing.T) {
	v, members := newEnv(t)
	members.Err = fmt.Errorf("no member list for one-to-one chats")
	const p2p = "oc_p2p00000000000000000000000000"
	v.Chats.Set(p2p, &flows.ChatInfo{Mode: flows.ChatModeP2P})
	m := flowtest.Message("/announce Note to self")
	m.ChatID, m.ChatType, m.Mentions = p2p, flows.ChatModeP2P, nil
	if err := v.E.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	v.Drain(t)
	jobs := v.Jobs.List()
	it := v.Store.Get(t, jobs[len(jobs)-1].ID)
	if it.FormIn != flows.FormInChat {
		t.Fatalf("form in %q", it.FormIn)
	}
	v.Click(t, it, creator, flows.ActionSubmit, validForm(deadlineIn(time.Hour)))
	v.Drain(t)
	var group any
	for _, c := range v.Sender.Only(t, "post") {
		if flowtest.HasButton(t, c.Card, "ack_btn") {
			group = c.Card
		}
	}
	if group == nil {
		t.Fatal("no announcement card")
	}
	if ans := v.CardClick(t, creator, group, "ack_btn"); ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess || !strings.Contains(cardText(t, ans.Card), "1 of 1 acknowledged") {
		t.Fatalf("Got it in a one-to-one chat: %+v", ans.Toast)
	}
	v.Clock.Advance(2 * time.Hour)
	before := len(v.Sender.Only(t, "post"))
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != before {
		t.Fatal("a nudge with nobody left to nudge")
	}
	if a := announcementOf(t, v, it); a.Status != Closed || a.FinalAcked != 1 || a.FinalAudience != 1 {
		t.Fatalf("closed: %+v", a)
	}
}

// A topic group: the form goes to the author's one-to-one chat, the card
// to the group.
func TestTopicGroup(t *testing.T) {
	v, _ := newEnv(t)
	v.Chats.Set(chat, &flows.ChatInfo{Mode: flows.ChatModeTopic})
	it := v.Start(t, "/announce Hello")
	v.Drain(t)
	if dms := v.Sender.Only(t, "dm"); len(dms) != 1 || dms[0].OpenID != creator {
		t.Fatalf("form not sent to the author: %+v", dms)
	}
	v.Click(t, it, creator, flows.ActionSubmit, validForm(""))
	v.Drain(t)
	if posts := v.Sender.Only(t, "post"); len(posts) != 1 || posts[0].ChatID != chat {
		t.Fatalf("posts: %+v", posts)
	}
}

// Without a member list (a MemberSource that cannot list), the card counts
// acknowledgements alone and the deadline closes it without a nudge.
func TestNoMemberList(t *testing.T) {
	v, _ := newEnv(t)
	v.Rebuild(t, func(d *flows.Deps) { d.Members = nil })
	v.Submit(t, "/announce", validForm(deadlineIn(time.Hour)))
	group := v.Sender.Only(t, "post")[0].Card
	if ans := v.CardClick(t, bob, group, "ack_btn"); !strings.Contains(cardText(t, ans.Card), "**1 acknowledged**") {
		t.Fatalf("count alone: %s", cardText(t, ans.Card))
	}
	v.Clock.Advance(2 * time.Hour)
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 1 {
		t.Fatal("nudged without a member list")
	}
	ups := v.Sender.Only(t, "update")
	if last := cardText(t, ups[len(ups)-1].Card); !strings.Contains(last, "Closed: **1 acknowledged**") {
		t.Fatalf("final: %s", last)
	}
}

func TestMessages(t *testing.T) { flowtest.CheckMessages(t, "messages.go", 40) }
