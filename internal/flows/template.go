package flows

// Template is a final card built in the platform's card builder, sent by
// id instead of the flow's built-in card (Deps.Templates). botd fills the
// template's variables from the interaction: see templateVars.
type Template struct {
	ID          string // template_id
	VersionName string // template_version_name; empty for the latest published
}

// templateCard is the default Deps.TemplateCard: the request shape of the
// seeds, {"type":"template","data":{"template_id", "template_version_name",
// "template_variable"}}. botd wires ephemeral.TemplateCard, which marshals
// to the same JSON.
func templateCard(t Template, vars map[string]any) any {
	data := map[string]any{"template_id": t.ID, "template_variable": vars}
	if t.VersionName != "" {
		data["template_version_name"] = t.VersionName
	}
	return map[string]any{"type": "template", "data": data}
}

// templateVars are the variables a template may bind: every value of the
// submitted form under its field name (todo: title, assignee, due_date,
// notes; remind: what, date, time, repeat, notify, people), and who made
// it: creator (a mention) and creator_id (the open_id). Unbound variables
// are ignored by the platform, so all are always sent.
func templateVars(it *Interaction) map[string]any {
	vars := make(map[string]any, len(it.Form)+2)
	for k, v := range it.Form {
		vars[k] = v
	}
	vars["creator"] = AtMention(it.UserID)
	vars["creator_id"] = it.UserID
	return vars
}

// finalCard is the card the finish job posts: the operator's template for
// the flow when one is configured, else the flow's own.
func (e *Engine) finalCard(it *Interaction, sub Submitter) any {
	if t, ok := e.deps.Templates[it.Flow]; ok && t.ID != "" {
		return e.deps.TemplateCard(t, templateVars(it))
	}
	return sub.Final(it)
}
