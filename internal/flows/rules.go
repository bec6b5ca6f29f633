package flows

import (
	"context"
	"slices"
	"strings"
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

// mayStart is the one place that decides whether openID may start flow in
// chatID. Refusals are answered by HandleMessage with a notice naming who can.
func (e *Engine) mayStart(ctx context.Context, flow, chatID, openID string) (bool, Rule) {
	rule := e.deps.Rules[flow]
	if rule.Anyone() {
		return true, rule
	}
	if !rule.AdminsOnly && slices.Contains(rule.Members, openID) {
		return true, rule
	}
	return e.isAdmin(ctx, chatID, openID), rule
}

// Form keys of the refusal notice, rendered by the help flow.
const (
	helpDenied        = "denied"         // the flow the member may not start
	helpDeniedMembers = "denied_members" // comma-separated open_ids who may, besides admins
)

// deny turns it into the refusal notice for flow: it is shown as the help
// flow's hint, through the same send_form job as any form, so it reaches
// the member however their chat shows private cards.
func deny(it *Interaction, flow string, rule Rule) {
	it.Flow = helpName
	it.Form = map[string]string{helpDenied: flow}
	if !rule.AdminsOnly && len(rule.Members) > 0 {
		it.Form[helpDeniedMembers] = strings.Join(rule.Members, ",")
	}
}
