package ephemeral

import (
	"bytes"
	"encoding/json"
	"errors"
)

// TemplateCard is a card built with the card builder (CardKit) and sent by
// template id. It marshals to
//
//	{"type":"template","data":{"template_id":..., "template_version_name":..., "template_variable":{...}}}
//
// and can be passed wherever a card is taken. Template cards through the Lark
// ephemeral API are unconfirmed (only the Feishu page documents them).
type TemplateCard struct {
	ID          string         // template_id, required
	VersionName string         // template_version_name; empty means the latest published version
	Variables   map[string]any // template_variable; values for the variables bound in the template
}

// MarshalJSON renders the template envelope, leaving out empty optional fields.
func (t TemplateCard) MarshalJSON() ([]byte, error) {
	if t.ID == "" {
		return nil, errors.New("template card without template id")
	}
	type data struct {
		TemplateID          string         `json:"template_id"`
		TemplateVersionName string         `json:"template_version_name,omitempty"`
		TemplateVariable    map[string]any `json:"template_variable,omitempty"`
	}
	return json.Marshal(struct {
		Type string `json:"type"`
		Data data   `json:"data"`
	}{"template", data{t.ID, t.VersionName, t.Variables}})
}

// cardJSON marshals card and checks that it is a JSON object, which both the
// ephemeral API ("card": {...}) and im/v1/messages (content: "{...}") need.
// card may be any marshalable value: a struct from internal/card, a map, a
// json.RawMessage (1.0 or 2.0), or a TemplateCard.
func cardJSON(card any) (json.RawMessage, error) {
	if card == nil {
		return nil, invalidf("card is nil")
	}
	b, err := json.Marshal(card)
	if err != nil {
		return nil, invalidf("card: %w", err)
	}
	if len(b) == 0 || b[0] != '{' || bytes.Equal(b, []byte("{}")) {
		// json.Marshal output is compact, so b[0] is the first token. A Go
		// string holding JSON would arrive here as a JSON string: refuse it
		// rather than guess.
		return nil, invalidf("card must marshal to a non-empty JSON object")
	}
	return b, nil
}
