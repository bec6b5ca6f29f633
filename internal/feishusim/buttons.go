package feishusim

import "encoding/json"

// ButtonValue finds the button named buttonName anywhere in card (JSON 2.0
// or 1.0, including inside forms, columns, action modules and i18n_elements)
// and returns the value its click would send: the callback behavior's value,
// or else the historical component-level value. ok is false when there is no
// such button or it sends no callback. Tests use it to "click" a card.
func ButtonValue(card json.RawMessage, buttonName string) (value map[string]any, ok bool) {
	var v any
	if json.Unmarshal(card, &v) != nil {
		return nil, false
	}
	return findButton(v, buttonName)
}

func findButton(v any, name string) (map[string]any, bool) {
	switch v := v.(type) {
	case map[string]any:
		if v["tag"] == "button" && v["name"] == name {
			return buttonCallback(v)
		}
		for _, k := range sortedKeys(v) {
			if val, ok := findButton(v[k], name); ok {
				return val, true
			}
		}
	case []any:
		for _, e := range v {
			if val, ok := findButton(e, name); ok {
				return val, true
			}
		}
	}
	return nil, false
}

func buttonCallback(button map[string]any) (map[string]any, bool) {
	if behaviors, ok := button["behaviors"].([]any); ok {
		for _, b := range behaviors {
			if m, _ := b.(map[string]any); m["type"] == "callback" {
				if val, ok := m["value"].(map[string]any); ok {
					return val, true
				}
			}
		}
	}
	val, ok := button["value"].(map[string]any)
	return val, ok
}
