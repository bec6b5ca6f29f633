package flows

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/botd/botd/internal/card"
)

// Rule says who may start a flow. Admins (configured, or the chat's owner
// and managers) may always start every flow, so an operator can never lock
// themselves out.
type Rule struct {
	// AdminsOnly restricts the flow to admins.
	AdminsOnly bool
	// Members, when not empty, restricts the flow to these open_ids (and
	// admins).
	Members []string
}

// Anyone reports whether the rule lets every member start the flow.
func (r Rule) Anyone() bool { return !r.AdminsOnly && len(r.Members) == 0 }

// String is the rule as the config writes it: anyone, admins, or the ids.
func (r Rule) String() string {
	switch {
	case r.AdminsOnly:
		return "admins"
	case len(r.Members) > 0:
		return strings.Join(r.Members, ",")
	}
	return "anyone"
}

// DefaultRuler is a flow whose rule, when the config sets none, is not
// "anyone" (an admins-only command). The config can still open it: a rule
// it sets, "anyone" included, replaces the default.
type DefaultRuler interface {
	Flow
	DefaultRule() Rule
}

// DefaultRule is f's rule when the config sets none: its DefaultRule, or
// anyone.
func DefaultRule(f Flow) Rule {
	if d, ok := f.(DefaultRuler); ok {
		return d.DefaultRule()
	}
	return Rule{}
}

// mayStart is the one place that decides whether openID may start flow in
// chatID. Refusals are answered by HandleMessage with a notice naming who can.
func (e *Engine) mayStart(ctx context.Context, flow, chatID, openID string) (bool, Rule) {
	rule, set := e.deps.Rules[flow]
	if !set {
		rule = DefaultRule(e.flows[flow])
	}
	if rule.Anyone() {
		return true, rule
	}
	if !rule.AdminsOnly && slices.Contains(rule.Members, openID) {
		return true, rule
	}
	return e.isAdmin(ctx, chatID, openID), rule
}

// deniedName is the flow of the refusal notice: the engine's own, like the
// slow-down notice (see slowDownName for why it cannot be typed).
const deniedName = "notice:denied"

// Form keys of the refusal notice.
const (
	helpDenied        = "denied"         // the flow the member may not start
	helpDeniedMembers = "denied_members" // comma-separated open_ids who may, besides admins
)

// deny turns it into the refusal notice for flow: it is shown through the
// same send_form job as any form, so it reaches the member however their
// chat shows private cards.
func deny(it *Interaction, flow string, rule Rule) {
	it.Flow = deniedName
	it.Form = map[string]string{helpDenied: flow}
	if !rule.AdminsOnly && len(rule.Members) > 0 {
		it.Form[helpDeniedMembers] = strings.Join(rule.Members, ",")
	}
}

// deniedFlow is the notice a member gets when a flow's rule does not let
// them start it: who can. Listed members are @mentioned (in a card only the
// member sees, a mention shows the name and notifies nobody).
type deniedFlow struct{}

func (deniedFlow) Name() string                           { return deniedName }
func (deniedFlow) Describe(locale string) string          { return msgDeniedTitle.In(locale) }
func (deniedFlow) Start(*Interaction, Command, time.Time) {}

// Form renders the notice.
func (deniedFlow) Form(it *Interaction, _ FieldErrors) *card.Card {
	loc, flow := it.Locale, it.Form[helpDenied]
	text := msgDeniedAdmins.In(loc, flow)
	if ids := it.Form[helpDeniedMembers]; ids != "" {
		text = msgDeniedMembers.In(loc, flow, AtMentions(strings.Split(ids, ",")))
	}
	return card.New(card.Header{}, card.Markdown{Content: text}, CancelButton(it, "close_btn", MsgClose))
}
