package flows

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// drain runs every job enqueued since the last drain, in order, including
// the jobs those runs enqueue, as a queue with one worker would.
func (v *env) drain(t *testing.T) {
	t.Helper()
	for {
		jobs := v.jobs.list()
		if v.ran >= len(jobs) {
			return
		}
		j := jobs[v.ran]
		v.ran++
		v.run(t, j.Kind, j.ID)
	}
}

// runDue does what the scheduler does at the clock's time: every due
// member is taken out and its job enqueued; then the jobs run.
func (v *env) runDue(t *testing.T) {
	t.Helper()
	for _, m := range v.store.takeDue(v.clock.Now()) {
		if err := v.e.EnqueueDue(context.Background(), m); err != nil {
			t.Fatalf("EnqueueDue(%s): %v", m, err)
		}
	}
	v.drain(t)
}

// submit starts text, sends its form, submits form and runs every job.
func (v *env) submit(t *testing.T, text string, form map[string]any) *Interaction {
	t.Helper()
	it := v.start(t, text)
	ans := v.click(t, it, userID, ActionSubmit, form)
	if ans.Toast == nil || ans.Toast.Type != ToastSuccess {
		t.Fatalf("submit %q: %+v", text, ans.Toast)
	}
	v.drain(t)
	return v.store.get(t, it.ID)
}

// cardClick is a click on a group card's button, by op.
func (v *env) cardClick(t *testing.T, op string, c any, button string) Answer {
	t.Helper()
	value := buttonValue(t, c, button)
	ans, err := v.e.HandleAction(context.Background(), Action{
		EventID: "ev_card", OperatorID: op, ChatID: chatID, Tag: "button", Timezone: "Asia/Shanghai", Value: value,
	})
	if err != nil {
		t.Fatalf("HandleAction(%s): %v", button, err)
	}
	return ans
}

// buttonValue finds a button by name in a card and returns its callback value.
func buttonValue(t *testing.T, c any, name string) map[string]any {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if val := findButton(v, name); val != nil {
		return val
	}
	t.Fatalf("no button %q in %s", name, b)
	return nil
}

func findButton(v any, name string) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		if v["tag"] == "button" && v["name"] == name {
			bs, _ := v["behaviors"].([]any)
			for _, b := range bs {
				if m, _ := b.(map[string]any); m["type"] == "callback" {
					val, _ := m["value"].(map[string]any)
					return val
				}
			}
		}
		for _, e := range v {
			if val := findButton(e, name); val != nil {
				return val
			}
		}
	case []any:
		for _, e := range v {
			if val := findButton(e, name); val != nil {
				return val
			}
		}
	}
	return nil
}

// cardText is a card as JSON, for Contains checks.
func cardText(t *testing.T, c any) string {
	t.Helper()
	return string(marshalIndent(t, c))
}

func hasButton(t *testing.T, c any, name string) bool {
	return strings.Contains(cardText(t, c), `"name": "`+name+`"`)
}

// testClock starts at testNow and moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
