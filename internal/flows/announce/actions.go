package announce

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// Jobs and callback actions of announcements.
const (
	// JobCard PATCHes an announcement's card; its id is the announcement's
	// and the second of the change that asked for it (CardJobID), so the
	// changes of one second share one job.
	JobCard flows.JobKind = "announce_card"
	// JobDeadline nudges and closes an announcement; its id is a due-set
	// member.
	JobDeadline flows.JobKind = "announce_deadline"

	actionPreview = "announce_preview"
	actionAck     = "announce_ack"
	actionCancel  = "announce_cancel"

	duePrefix = "announce:"

	// nudgeMentionMax bounds the members one nudge mentions (the card
	// carries every locale and must stay under 30 KB); the rest are
	// counted.
	nudgeMentionMax = 100
)

// The buttons of the form and of the group card.
var (
	previewButton = flows.CallbackSpec{Flow: name, Action: actionPreview, Target: flows.FormTarget}
	ackButton     = flows.CallbackSpec{Flow: name, Action: actionAck, Target: "announcement"}
	cancelButton  = flows.CallbackSpec{Flow: name, Action: actionCancel, Target: "announcement"}
)

// Routes are Preview on the form, and Got it and Cancel on the group card.
func (f Flow) Routes() []flows.Route {
	return []flows.Route{
		{Spec: previewButton, Handle: f.preview},
		{Spec: ackButton, Handle: onCard(f.ack)},
		{Spec: cancelButton, Handle: onCard(f.cancel)},
	}
}

// Jobs are the announcements' own jobs.
func (f Flow) Jobs() []flows.JobSpec {
	return []flows.JobSpec{
		// Card updates after clicks: members are watching.
		{Kind: JobCard, Priority: flows.PriorityInteractive, MaxRetry: 15, Run: f.syncCard},
		// The deadline: scheduled, paced, never dropped.
		{Kind: JobDeadline, Priority: flows.PriorityBulk, MaxRetry: 25, DuePrefix: duePrefix, Run: f.deadline},
	}
}

// preview answers Preview: the values checked as a submit would check
// them, and the form again with, below it, the card as the group will see
// it. Nothing is stored: Post submits what the form then holds.
func (f Flow) preview(_ context.Context, h flows.Host, c flows.Click) (flows.Answer, error) {
	it := c.Interaction
	now := h.Now()
	values, errs := f.Submit(it, flows.Submission{Values: c.FormValue, Now: now, Zone: zoneNamed(c.Timezone), DefaultZone: h.Zone(it.Timezone)})
	shown := *it
	shown.Form = values
	els := f.formElements(&shown, errs)
	if len(errs) > 0 {
		return flows.Answer{
			Toast: flows.NewToast(flows.ToastError, it.Locale, msgPreviewInvalid),
			Card:  card.New(card.Header{Title: card.Plain(msgFormTitle.In(it.Locale)), Template: card.Blue}, els...),
		}, nil
	}
	a := fromInteraction(&shown)
	if c.Timezone != "" {
		a.Timezone = c.Timezone
	}
	els = append(els, card.Divider{}, card.Markdown{Content: msgPreviewHeading.In(it.Locale)},
		card.Markdown{Content: "**" + SafeMarkdown(a.Title) + "**"})
	els = append(els, cardElements(a, 0, h.Zone(a.Timezone), it.Locale, false)...)
	return flows.Answer{
		Toast: flows.NewToast(flows.ToastInfo, it.Locale, msgPreviewShown),
		Card:  card.New(card.Header{Title: card.Plain(msgFormTitle.In(it.Locale)), Template: card.Blue}, els...),
	}, nil
}

// zoneNamed is the zone a callback names, nil when none or unknown.
func zoneNamed(name string) *time.Location {
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

type cardAction func(ctx context.Context, h flows.Host, a *Announcement, c flows.Click, log *zap.Logger) (flows.Answer, error)

// onCard loads the announcement a click names and lets only members of
// its chat through (RefuseNonMember).
func onCard(do cardAction) func(context.Context, flows.Host, flows.Click) (flows.Answer, error) {
	return func(ctx context.Context, h flows.Host, c flows.Click) (flows.Answer, error) {
		a, err := Records(h).Get(ctx, c.Target)
		if errors.Is(err, flows.ErrNotFound) {
			return flows.ToastAnswer(flows.ToastError, h.DefaultLocale(), flows.MsgUnknownAction), nil
		}
		if err != nil {
			return flows.Answer{}, fmt.Errorf("load announcement %s: %w", c.Target, err)
		}
		log := logOf(h, a).With(zap.String("action", c.Action), zap.String("operator_id", c.OperatorID))
		if refusal := h.RefuseNonMember(ctx, a.ChatID, c.OperatorID, a.CreatorID, a.Locale, log); refusal != nil {
			return *refusal, nil
		}
		return do(ctx, h, a, c, log)
	}
}

// ack answers Got it: the member's acknowledgement is created once (a
// second click, or a concurrent one, finds it), the click is answered with
// the card as it now stands, and the card is updated for everyone by the
// job of this second.
func (Flow) ack(ctx context.Context, h flows.Host, a *Announcement, c flows.Click, log *zap.Logger) (flows.Answer, error) {
	loc := h.Zone(a.Timezone)
	switch {
	case !a.AskAck:
		return flows.ToastAnswer(flows.ToastError, a.Locale, flows.MsgUnknownAction), nil
	case a.Status == Cancelled:
		return flows.Answer{Card: groupCard(a, a.FinalAcked, loc), Toast: flows.NewToast(flows.ToastInfo, a.Locale, msgAlreadyCancelled)}, nil
	case a.Status != Open:
		return flows.Answer{Card: groupCard(a, a.FinalAcked, loc), Toast: flows.NewToast(flows.ToastInfo, a.Locale, msgNotOpen)}, nil
	case c.OperatorID == a.CreatorID && !a.P2P:
		return flows.ToastAnswer(flows.ToastInfo, a.Locale, msgOwnAnnouncement), nil
	}
	err := Acks(h).Create(ctx, &Ack{ID: ackID(a.ID, c.OperatorID), AnnouncementID: a.ID, OpenID: c.OperatorID})
	already := errors.Is(err, flows.ErrExists)
	if err != nil && !already {
		return flows.Answer{}, fmt.Errorf("acknowledge %s: %w", a.ID, err)
	}
	n, err := countAcks(ctx, h, a.ID)
	if err != nil {
		return flows.Answer{}, err
	}
	ans := flows.Answer{Card: groupCard(a, n, loc)}
	if already {
		log.Info("acknowledgement repeated")
		ans.Toast = flows.NewToast(flows.ToastInfo, a.Locale, msgAlreadyAcked)
		return ans, nil
	}
	if err := enqueueCard(ctx, h, a.ID); err != nil {
		return flows.Answer{}, fmt.Errorf("acknowledge %s: %w", a.ID, err)
	}
	log.Info("announcement acknowledged", zap.Int("acknowledged", n))
	ans.Toast = flows.NewToast(flows.ToastSuccess, a.Locale, msgThanks)
	return ans, nil
}

// cancel stops an announcement (its author and admins): no more
// acknowledgements, no nudge.
func (Flow) cancel(ctx context.Context, h flows.Host, a *Announcement, c flows.Click, log *zap.Logger) (flows.Answer, error) {
	if c.OperatorID != a.CreatorID && !h.IsAdmin(ctx, a.ChatID, c.OperatorID) {
		log.Info("cancel refused: not the author or an admin")
		return flows.ToastAnswer(flows.ToastError, a.Locale, msgCancelNotAllowed), nil
	}
	n, err := countAcks(ctx, h, a.ID)
	if err != nil {
		return flows.Answer{}, err
	}
	now := h.Now()
	a, changed, err := Records(h).Update(ctx, a, func(a *Announcement) bool {
		if a.Status != Open {
			return false
		}
		a.Status, a.CancelledBy, a.CancelledAt = Cancelled, c.OperatorID, now
		a.FinalAcked = n
		return true
	})
	if err != nil {
		return flows.Answer{}, fmt.Errorf("cancel %s: %w", c.Target, err)
	}
	ans := flows.Answer{Card: groupCard(a, a.FinalAcked, h.Zone(a.Timezone))}
	if !changed {
		msg := msgNotOpen
		if a.Status == Cancelled {
			msg = msgAlreadyCancelled
		}
		ans.Toast = flows.NewToast(flows.ToastInfo, a.Locale, msg)
		return ans, nil
	}
	// The record already stops the nudge; removing it keeps the due set
	// small, and a failure here is harmless.
	if !a.Deadline.IsZero() {
		if err := h.Unschedule(ctx, deadlineMember(a)); err != nil {
			log.Warn("cannot remove the cancelled deadline from the due set", zap.Error(err))
		}
	}
	if err := enqueueCard(ctx, h, a.ID); err != nil {
		return flows.Answer{}, fmt.Errorf("cancel %s: %w", a.ID, err)
	}
	log.Info("announcement cancelled")
	ans.Toast = flows.NewToast(flows.ToastSuccess, a.Locale, msgCancelled)
	return ans, nil
}

// enqueueCard asks for the card of id to be updated, coalesced: every
// change within one second of botd's clock shares one job, which waits
// until that second is over (and a second more, as the queue schedules to
// the second) and then shows the latest state. So a card gets at most
// about one PATCH a second from clicks, within the platform's five a
// second per message, however many members click. A job of a second never
// runs while changes of its second can still come, so none is missed.
func enqueueCard(ctx context.Context, h flows.Host, id string) error {
	now := h.Now()
	sec := now.Unix()
	delay := time.Unix(sec+1, 0).Sub(now) + time.Second
	if err := h.EnqueueAfter(ctx, JobCard, flows.CardJobID(id, sec), delay); err != nil {
		return fmt.Errorf("enqueue %s: %w", JobCard, err)
	}
	return nil
}

// syncCard writes an announcement's latest state to its card. When the
// state moved on while it PATCHed (a job of an earlier second that ran
// late), it asks for one more update rather than PATCHing again at once.
func (Flow) syncCard(ctx context.Context, h flows.Host, jobID string) error {
	id, ok := flows.SplitCardJobID(jobID)
	if !ok {
		return flows.Permanent(fmt.Errorf("bad job id %q", jobID))
	}
	render := func() (*Announcement, int, error) {
		a, err := Records(h).Get(ctx, id)
		if err != nil {
			return nil, 0, fmt.Errorf("load announcement: %w", err)
		}
		n := a.FinalAcked
		if a.Status == Open {
			if n, err = countAcks(ctx, h, id); err != nil {
				return nil, 0, err
			}
		}
		return a, n, nil
	}
	a, n, err := render()
	if err != nil {
		return err
	}
	if a.MessageID == "" {
		return nil // not posted yet: AfterPost asks once it is
	}
	if err := h.UpdateCard(ctx, a.MessageID, groupCard(a, n, h.Zone(a.Timezone))); err != nil {
		return fmt.Errorf("update card %s: %w", a.MessageID, err)
	}
	again, m, err := render()
	if err != nil {
		return err
	}
	if again.Version != a.Version || m != n {
		return enqueueCard(ctx, h, id)
	}
	return nil
}

// deadlineMember is the due-set member of a's deadline.
func deadlineMember(a *Announcement) string {
	return duePrefix + a.ID + ":" + strconv.FormatInt(a.Deadline.UnixMilli(), 10)
}

// deadline closes an announcement at its deadline: one nudge in the group
// mentioning the members who have not acknowledged (from the chat's
// member list, read now), then the final tally on the card. A cancelled or
// already closed announcement, or a deadline that is not its own, is
// skipped. The nudge is posted with a uuid before the record changes, so a
// retried job posts it once.
func (Flow) deadline(ctx context.Context, h flows.Host, member string) error {
	rest, _ := strings.CutPrefix(member, duePrefix)
	id, ms, ok := strings.Cut(rest, ":")
	at, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return flows.Permanent(fmt.Errorf("bad due member %q", member))
	}
	a, err := Records(h).Get(ctx, id)
	if err != nil {
		return fmt.Errorf("load announcement: %w", err)
	}
	log := logOf(h, a).With(zap.String("occurrence", member))
	switch {
	case a.Status != Open:
		log.Info("deadline skipped", zap.String("status", string(a.Status)))
		return nil
	case a.Deadline.UnixMilli() != at:
		log.Info("deadline skipped: not the announcement's")
		return nil
	}
	acked, err := ackedBy(ctx, h, a.ID)
	if err != nil {
		return err
	}
	var audience []string
	known := true
	if a.P2P {
		audience = audienceOf(a, nil)
	} else {
		members, err := h.ChatMembers(ctx, a.ChatID)
		switch {
		case errors.Is(err, flows.ErrNoMemberList):
			log.Warn("no member list: the announcement closes without a nudge")
			known = false
		case err != nil:
			return fmt.Errorf("members of %s: %w", a.ChatID, err)
		default:
			audience = audienceOf(a, members)
		}
	}
	var missing []string
	ackedIn := 0
	for _, m := range audience {
		if acked[m] {
			ackedIn++
		} else if platformid.IsOpenID(m) {
			missing = append(missing, m)
		}
	}
	if !known {
		ackedIn = len(acked)
	}
	nudgeID := ""
	if len(missing) > 0 {
		if nudgeID, err = h.PostCard(ctx, a.ChatID, nudgeCard(a, missing), a.ID+"-nudge"); err != nil {
			return fmt.Errorf("post nudge: %w", err)
		}
	}
	a, changed, err := Records(h).Update(ctx, a, func(a *Announcement) bool {
		if a.Status != Open {
			return false
		}
		a.Status, a.FinalAcked, a.FinalAudience, a.NudgeID = Closed, ackedIn, len(audience), nudgeID
		return true
	})
	if err != nil {
		return fmt.Errorf("close announcement: %w", err)
	}
	if !changed {
		return nil
	}
	h.ObserveLateness("announce_deadline", h.Now().Sub(time.UnixMilli(at)))
	log.Info("announcement closed", zap.Int("acknowledged", ackedIn), zap.Int("audience", len(audience)),
		zap.Int("nudged", len(missing)), zap.String("nudge_message_id", nudgeID))
	return enqueueCard(ctx, h, a.ID)
}

// nudgeCard is the nudge: who has not acknowledged, mentioned (at most
// nudgeMentionMax, the rest counted), and the announcement's title.
func nudgeCard(a *Announcement, missing []string) *card.Card {
	shown := missing[:min(len(missing), nudgeMentionMax)]
	return flows.EveryLocale(a.Locale, func(lang string) *card.Card {
		who := flows.AtMentions(shown)
		if more := len(missing) - len(shown); more > 0 {
			who += " " + msgNudgeMore.In(lang, more)
		}
		return card.New(card.Header{Title: card.Plain(msgNudgeTitle.In(lang)), Template: card.Orange},
			card.Markdown{Content: msgNudge.In(lang, who, "**"+SafeMarkdown(a.Title)+"**")})
	})
}
