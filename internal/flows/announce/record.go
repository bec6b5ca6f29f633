package announce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
)

// Status is where an announcement stands.
type Status string

const (
	Open      Status = "open"      // posted; acknowledgements counted
	Closed    Status = "closed"    // the deadline passed: the tally is final
	Cancelled Status = "cancelled" // its author or an admin stopped it
)

// Announcement is an /announce once its card is in the group.
type Announcement struct {
	ID        string    `json:"id"` // "an_" + the interaction's random part
	TenantKey string    `json:"tenant_key"`
	ChatID    string    `json:"chat_id"`
	Title     string    `json:"title"`
	Body      string    `json:"body,omitempty"` // the author's markdown, escaped when shown
	AskAck    bool      `json:"ask_ack,omitempty"`
	Deadline  time.Time `json:"deadline,omitzero"`
	CreatorID string    `json:"creator_id"`
	Locale    string    `json:"locale"`
	Timezone  string    `json:"timezone"`
	// P2P: the chat is a one-to-one chat with the bot, whose one human
	// member, the author, is its whole audience.
	P2P bool `json:"p2p,omitempty"`
	// Audience is how many members were asked to acknowledge when it was
	// posted (the chat's members but its author); 0 when unknown.
	Audience int    `json:"audience,omitempty"`
	Status   Status `json:"status"`
	// The final tally, set at the deadline.
	FinalAcked    int    `json:"final_acked,omitempty"`
	FinalAudience int    `json:"final_audience,omitempty"`
	NudgeID       string `json:"nudge_id,omitempty"` // the nudge's message, when one was posted

	CancelledBy   string    `json:"cancelled_by,omitempty"`
	CancelledAt   time.Time `json:"cancelled_at,omitzero"`
	MessageID     string    `json:"message_id,omitempty"`
	InteractionID string    `json:"interaction_id"`

	flows.RecordMeta
}

// RecordID implements flows.Record.
func (a *Announcement) RecordID() string { return a.ID }

// Ack is one member's "Got it": a record of its own, created once (its id
// is the announcement's and the member's), so concurrent and repeated
// clicks count once without contending for the announcement's version,
// and counted by the index of its announcement.
type Ack struct {
	ID             string `json:"id"`
	AnnouncementID string `json:"announcement_id"`
	OpenID         string `json:"open_id"`
	flows.RecordMeta
}

// RecordID implements flows.Record.
func (k *Ack) RecordID() string { return k.ID }

// Indexes implements flows.Record: every acknowledgement is in its
// announcement's list.
func (k *Ack) Indexes() []flows.Index {
	return []flows.Index{{Name: ackIndex(k.AnnouncementID), Score: float64(k.CreatedAt.UnixMilli()), In: true}}
}

// The store's names for the records (lower-case words not ending in "s").
const (
	kind    = "announce"
	ackKind = "announceack"
)

func ackIndex(id string) string      { return "ack:" + id }
func ackID(id, openID string) string { return id + "-" + openID }
func logOf(h flows.Host, a *Announcement) *zap.Logger {
	return h.Logger().With(zap.String("announcement_id", a.ID), zap.String("chat_id", a.ChatID))
}

// Records is the view of the announcements h keeps.
func Records(h flows.Host) flows.Records[Announcement, *Announcement] {
	return flows.RecordsOf[Announcement](h, kind)
}

// Acks is the view of the acknowledgements h keeps.
func Acks(h flows.Host) flows.Records[Ack, *Ack] { return flows.RecordsOf[Ack](h, ackKind) }

// ID is the id of the announcement an interaction creates: derived, so
// that a retried finish job finds the one its first run created.
func ID(interactionID string) string { return "an_" + strings.TrimPrefix(interactionID, "itx_") }

// fromInteraction is the announcement a submitted interaction describes,
// as it is first created.
func fromInteraction(it *flows.Interaction) *Announcement {
	f := it.Form
	a := &Announcement{
		ID: ID(it.ID), TenantKey: it.TenantKey, ChatID: it.ChatID,
		Title: f[fieldTitle], Body: f[fieldBody], AskAck: f[fieldAck] != ackNo,
		CreatorID: it.UserID, Locale: it.Locale, Timezone: it.Timezone,
		P2P: it.FormIn == flows.FormInChat, Status: Open, InteractionID: it.ID,
	}
	if at, err := time.Parse(time.RFC3339, f[fieldDueAt]); err == nil && a.AskAck {
		a.Deadline = at.UTC()
	}
	if a.P2P && a.AskAck {
		a.Audience = 1
	}
	return a
}

// BeforePost creates the announcement, once, with the size of its
// audience, and schedules its deadline.
func (Flow) BeforePost(ctx context.Context, h flows.Host, it *flows.Interaction) error {
	a, err := Records(h).Get(ctx, ID(it.ID))
	if errors.Is(err, flows.ErrNotFound) {
		a = fromInteraction(it)
		if a.AskAck && !a.P2P {
			a.Audience = audienceSize(ctx, h, a)
		}
		err = Records(h).Create(ctx, a)
		if errors.Is(err, flows.ErrExists) {
			a, err = Records(h).Get(ctx, a.ID)
		}
	}
	if err != nil {
		return fmt.Errorf("create announcement: %w", err)
	}
	if a.Status == Open && !a.Deadline.IsZero() && a.Deadline.After(h.Now()) {
		if err := h.Schedule(ctx, deadlineMember(a), a.Deadline); err != nil {
			return fmt.Errorf("schedule the deadline of %s: %w", a.ID, err)
		}
	}
	return nil
}

// audienceSize is how many members of a's chat are asked to acknowledge
// it: all but its author. 0 (unknown: the card then shows the count alone)
// when the member list cannot be read.
func audienceSize(ctx context.Context, h flows.Host, a *Announcement) int {
	members, err := h.ChatMembers(ctx, a.ChatID)
	if err != nil {
		logOf(h, a).Warn("cannot read the chat's member list; the card shows the count alone", zap.Error(err))
		return 0
	}
	return len(audienceOf(a, members))
}

// audienceOf is members without a's author (in a one-to-one chat, the
// author alone), without repeats.
func audienceOf(a *Announcement, members []string) []string {
	if a.P2P {
		return []string{a.CreatorID}
	}
	seen := map[string]bool{a.CreatorID: true}
	out := make([]string, 0, len(members))
	for _, m := range members {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// AfterPost records the card's message id, and has the card show the
// size of its audience, which the posted card (rendered from the
// interaction alone) could not.
func (Flow) AfterPost(ctx context.Context, h flows.Host, it *flows.Interaction, messageID string) error {
	a, err := Records(h).Get(ctx, ID(it.ID))
	if err != nil {
		return fmt.Errorf("load announcement: %w", err)
	}
	a, changed, err := Records(h).Update(ctx, a, func(a *Announcement) bool {
		if a.MessageID != "" {
			return false
		}
		a.MessageID = messageID
		return true
	})
	if err != nil {
		return fmt.Errorf("record the card of announcement: %w", err)
	}
	if changed && (a.Version > 2 || a.Audience > 0) {
		return enqueueCard(ctx, h, a.ID)
	}
	return nil
}

// The number of acknowledgements.
func countAcks(ctx context.Context, h flows.Host, id string) (int, error) {
	_, n, err := Acks(h).List(ctx, ackIndex(id), 0, 1)
	if err != nil {
		return 0, fmt.Errorf("count acknowledgements of %s: %w", id, err)
	}
	return n, nil
}

// maxAcks bounds the read of an announcement's acknowledgements: as many
// as the biggest member list botd reads.
const maxAcks = 10000

// ackedBy returns who acknowledged id.
func ackedBy(ctx context.Context, h flows.Host, id string) (map[string]bool, error) {
	const page = 100
	out := map[string]bool{}
	for off := 0; off < maxAcks; off += page {
		acks, total, err := Acks(h).List(ctx, ackIndex(id), off, page)
		if err != nil {
			return nil, fmt.Errorf("list acknowledgements of %s: %w", id, err)
		}
		for _, k := range acks {
			out[k.OpenID] = true
		}
		if len(acks) < page || off+page >= total {
			break
		}
	}
	return out, nil
}

// groupCard renders an announcement for the group, acked acknowledgements
// counted, in every locale.
func groupCard(a *Announcement, acked int, loc *time.Location) *card.Card {
	return flows.EveryLocale(a.Locale, func(lang string) *card.Card {
		header := card.Header{Title: card.Plain(a.Title), Template: card.Blue}
		switch a.Status {
		case Closed:
			header.Template = card.Green
		case Cancelled:
			header.Template = card.Grey
		}
		return card.New(header, cardElements(a, acked, loc, lang, true)...)
	})
}

// cardElements is the body of the group card in lang; buttons false is
// the preview, whose buttons could not work.
func cardElements(a *Announcement, acked int, loc *time.Location, lang string, buttons bool) []card.Element {
	var els []card.Element
	if a.Body != "" {
		els = append(els, card.Markdown{Content: SafeMarkdown(a.Body)})
	}
	if a.AskAck {
		var lines []string
		switch a.Status {
		case Open:
			if a.Audience > 0 {
				lines = append(lines, msgAckedOf.In(lang, acked, max(a.Audience, acked)))
			} else {
				lines = append(lines, msgAcked.In(lang, acked))
			}
			if !a.Deadline.IsZero() {
				lines = append(lines, msgAckBy.In(lang, flows.FormatStamp(a.Deadline, loc)))
			}
		case Closed:
			if a.FinalAudience > 0 {
				lines = append(lines, msgClosedOf.In(lang, a.FinalAcked, a.FinalAudience))
			} else {
				lines = append(lines, msgClosed.In(lang, a.FinalAcked))
			}
		case Cancelled:
			lines = append(lines, msgCancelledBy.In(lang, flows.AtMention(a.CancelledBy), flows.FormatStamp(a.CancelledAt, loc)))
		}
		els = append(els, card.Markdown{Content: strings.Join(lines, "\n")})
	}
	els = append(els, card.Markdown{Content: msgPostedBy.In(lang, flows.AtMention(a.CreatorID)), TextSize: "notation"})
	if a.AskAck && a.Status == Open {
		if buttons {
			els = append(els,
				card.Button{Name: "ack_btn", Type: card.ButtonPrimary, Text: card.Plain(msgGotIt.In(lang)),
					Behaviors: card.Callback(ackButton.Value(a.ID, nil))},
				card.Button{Name: "announce_cancel_btn", Type: card.ButtonDefault, Text: card.Plain(msgCancel.In(lang)),
					Behaviors: card.Callback(cancelButton.Value(a.ID, nil))})
		} else {
			els = append(els, card.Markdown{Content: msgPreviewButtons.In(lang), TextSize: "notation"})
		}
	}
	return els
}

// SafeMarkdown is the author's markdown as card markdown that shows it and
// does nothing else: '&', '<' and '>' become entities, so no tag survives
// (no <at id=all></at> that notifies everyone, no <at email=...>, no
// <font> or <link>), while **bold**, lists and [links](https://...) still
// render. The card's JSON is written by encoding/json, which escapes
// whatever the text holds; control characters other than newlines and tabs
// are dropped.
func SafeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
