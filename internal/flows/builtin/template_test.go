package builtin

import (
	"encoding/json"
	"testing"

	"github.com/botd/botd/internal/flows"
)

// An operator's template replaces the built-in final card, in the seeds'
// request shape, with the form's values and the creator as variables.
func TestFinalCardTemplate(t *testing.T) {
	v := newEnv(t)
	v.Rebuild(t, func(d *flows.Deps) {
		d.Templates = map[string]flows.Template{"todo": {ID: "AAqk1", VersionName: "1.0.2"}}
	})
	v.Submit(t, "/todo Buy milk", validForm())
	posts := v.Sender.Only(t, "post")
	if len(posts) != 1 {
		t.Fatalf("posts = %+v", posts)
	}
	raw, err := json.Marshal(posts[0].Card)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Type string `json:"type"`
		Data struct {
			ID       string            `json:"template_id"`
			Version  string            `json:"template_version_name"`
			Variable map[string]string `json:"template_variable"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "template" || got.Data.ID != "AAqk1" || got.Data.Version != "1.0.2" {
		t.Fatalf("card = %s", raw)
	}
	vars := got.Data.Variable
	if vars["title"] != "Buy milk" || vars["assignee"] != bobID || vars["creator_id"] != userID || vars["creator"] != flows.AtMention(userID) {
		t.Errorf("variables = %v", vars)
	}
	// Other flows keep their built-in cards.
	v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	if c, ok := v.Sender.Only(t, "post")[1].Card.(map[string]any); ok && c["type"] == "template" {
		t.Error("a flow without a template posted one")
	}
}
