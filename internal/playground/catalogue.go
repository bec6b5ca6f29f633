package playground

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/botd/botd/internal/flows"
)

// Sample is a card the preview page offers.
type Sample struct {
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	Group     string          `json:"group"`     // "flows", "sent" or "showcase"
	Ephemeral bool            `json:"ephemeral"` // sent as an ephemeral card (else posted to the group)
	Card      json.RawMessage `json:"card"`
}

// sampleArgs are the arguments the catalogue types after a flow's command,
// so that its form comes prefilled as it usually is: the flow's own example
// (flows.Exampler), or none.
func sampleArgs(f flows.Flow) string {
	if e, ok := f.(flows.Exampler); ok {
		return e.Example()
	}
	return ""
}

// examples are the commands the page suggests typing, one per flow that
// offers an example, in the registry's order.
func (s *Server) examples() []string {
	var out []string
	for _, f := range s.flows {
		if e, ok := f.(flows.Exampler); ok {
			out = append(out, "/"+f.Name()+" "+e.Example())
		}
	}
	return out
}

// catalogue renders every card the flows produce, by calling the flows
// themselves the way the engine does: Start from a sample command, Form
// (empty and with the errors of an empty submit), Final after a valid
// submit, and the hint for an unknown command (the flows.Catchall's), in
// English and in Chinese.
//
// This is the flows' own rendering code, so the catalogue follows every
// change to them (a /remind flow appears when it is registered) without a
// copy of the golden files, which go:embed cannot reach from this package.
func (s *Server) catalogue() []Sample {
	var out []Sample
	for _, locale := range []string{flows.LocaleEnUS, flows.LocaleZhCN} {
		for _, f := range s.flows {
			out = append(out, s.flowSamples(f, locale)...)
		}
	}
	return out
}

func (s *Server) flowSamples(f flows.Flow, locale string) (out []Sample) {
	name := f.Name()
	add := func(id, title string, ephemeral bool, card any) {
		b, err := json.Marshal(card)
		if err != nil {
			s.log.Warn("catalogue: cannot encode a card") // a bug in the flow's card
			return
		}
		out = append(out, Sample{ID: fmt.Sprintf("%s_%s_%s", name, id, locale), Group: "flows",
			Title: fmt.Sprintf("/%s: %s (%s)", name, title, locale), Ephemeral: ephemeral, Card: b})
	}

	// Cards render after a panic-free Start; a flow that cannot handle the
	// sample is skipped rather than taking the page down.
	defer func() {
		if r := recover(); r != nil {
			s.log.Warn(fmt.Sprintf("catalogue: flow %s panicked: %v", name, r))
		}
	}()

	it, now := s.sampleInteraction(f, "/"+name+" "+sampleArgs(f), locale)
	add("form", "form", true, f.Form(it, nil))

	if _, ok := f.(flows.Catchall); ok {
		hint, _ := s.sampleInteraction(f, "/frobnicate now", locale)
		add("unknown", "hint for an unknown command", true, f.Form(hint, nil))
	}

	sub, ok := f.(flows.Submitter)
	if !ok {
		return out
	}
	zone := s.zone()
	values, errs := sub.Submit(it, flows.Submission{Values: map[string]any{}, Now: now, Zone: zone, DefaultZone: zone})
	if len(errs) > 0 {
		shown := *it
		shown.Form = values
		add("form_errors", "form with errors", true, f.Form(&shown, errs))
	}
	prefill := map[string]any{}
	for k, v := range it.Form {
		prefill[k] = v
	}
	values, errs = sub.Submit(it, flows.Submission{Values: prefill, Now: now, Zone: zone, DefaultZone: zone})
	if len(errs) == 0 {
		done := *it
		done.Form = values
		done.Status = flows.StatusSubmitted
		add("final", "final card", false, sub.Final(&done))
	}
	return out
}

// sampleInteraction is the interaction the engine would start for text
// typed by the chat's admin.
func (s *Server) sampleInteraction(f flows.Flow, text, locale string) (*flows.Interaction, time.Time) {
	wire, mentions := s.mentions(text)
	ms := make([]flows.Mention, len(mentions))
	for i, m := range mentions {
		ms[i] = flows.Mention{Key: m.Key, OpenID: m.OpenID, Name: m.Name}
	}
	cmd, _ := flows.ParseCommand(wire, ms, s.world.BotOpenID)
	zone := s.zone()
	now := s.clock.Now()
	it := &flows.Interaction{
		ID: "itx_preview", Flow: f.Name(), ChatID: s.world.ChatID, UserID: s.world.Members[0].OpenID,
		Locale: locale, Timezone: zone.String(), Status: flows.StatusPending,
		Form: map[string]string{}, CreatedAt: now, UpdatedAt: now,
	}
	if len(cmd.People) > 0 {
		it.Mentions = map[string]string{}
		for _, p := range cmd.People {
			it.Mentions[p.OpenID] = p.Name
		}
	}
	f.Start(it, cmd, now.In(zone))
	it.Form = maps.Clone(it.Form)
	return it, now
}

// zone is the admin's time zone, in which the samples are started.
func (s *Server) zone() *time.Location {
	if loc, err := time.LoadLocation(s.world.Members[0].Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// sentSamples are the cards botd has sent in this session, newest first, as
// the simulator recorded them (every version of a PATCHed card).
func (s *Server) sentSamples() []Sample {
	type dated struct {
		at time.Time
		s  Sample
	}
	var all []dated
	for _, e := range s.sim.Ephemerals() {
		who := e.OpenID
		if m, ok := s.world.Member(e.OpenID); ok {
			who = m.Name
		}
		all = append(all, dated{e.SentAt, Sample{ID: "sent_" + e.MessageID, Group: "sent", Ephemeral: true, Card: e.Card,
			Title: strings.TrimSpace(fmt.Sprintf("%s ephemeral to %s %s", e.SentAt.Format("15:04:05"), who, cardTitle(e.Card)))}})
	}
	for _, m := range s.sim.Messages() {
		if m.MsgType != "interactive" {
			continue
		}
		for i, c := range m.History {
			title := strings.TrimSpace(fmt.Sprintf("%s group card %s", m.CreatedAt.Format("15:04:05"), cardTitle(json.RawMessage(c))))
			if i > 0 {
				title += fmt.Sprintf(" (update %d)", i)
			}
			all = append(all, dated{m.CreatedAt, Sample{ID: fmt.Sprintf("sent_%s_%d", m.MessageID, i), Group: "sent", Card: json.RawMessage(c), Title: title}})
		}
	}
	slices.SortStableFunc(all, func(a, b dated) int { return b.at.Compare(a.at) })
	out := make([]Sample, len(all))
	for i, d := range all {
		out[i] = d.s
	}
	return out
}

// cardTitle is a card's header title in quotes, or "" without one.
func cardTitle(card json.RawMessage) string {
	var c struct {
		Header struct {
			Title struct {
				Content string `json:"content"`
			} `json:"title"`
		} `json:"header"`
	}
	if json.Unmarshal(card, &c) != nil || strings.TrimSpace(c.Header.Title.Content) == "" {
		return ""
	}
	return fmt.Sprintf("%q", c.Header.Title.Content)
}
