package longconn

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// New refuses what could never connect, and fills in the defaults.
func TestNewChecksConfig(t *testing.T) {
	d := &fakeDeliverer{}
	ok := Config{AppID: "cli_x", AppSecret: "s", Domain: "https://open.feishu.cn"}
	for name, mod := range map[string]func(*Config){
		"no app id":        func(c *Config) { c.AppID = " " },
		"no secret":        func(c *Config) { c.AppSecret = "" },
		"no scheme":        func(c *Config) { c.Domain = "open.feishu.cn" },
		"max below min":    func(c *Config) { c.MinBackoff, c.MaxBackoff = time.Minute, time.Second },
		"not a URL origin": func(c *Config) { c.Domain = "feishu" },
	} {
		cfg := ok
		mod(&cfg)
		if _, err := New(cfg, d, nil, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(ok, nil, nil, nil); err == nil {
		t.Error("no deliverer: accepted")
	}
	r, err := New(ok, d, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg.AnswerBudget != DefaultAnswerBudget || r.cfg.MaxBackoff != DefaultMaxBackoff || r.cfg.MaxInFlight != DefaultMaxInFlight {
		t.Fatalf("defaults not filled in: %+v", r.cfg)
	}
	// Stop before Start returns at once.
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Deliveries beyond MaxInFlight are refused (to be delivered again) rather
// than piling up goroutines; once one finishes, the next is taken.
func TestDeliveriesInHandAreBounded(t *testing.T) {
	release := make(chan struct{})
	d := &fakeDeliverer{block: release, entered: make(chan struct{}, 2)}
	r, err := New(Config{AppID: "cli_x", AppSecret: "s", Domain: "https://open.feishu.cn", MaxInFlight: 2}, d, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	for range 2 {
		go func() { _, err := r.deliver(context.Background(), []byte(`{}`)); results <- err }()
	}
	<-d.entered
	<-d.entered
	if _, err := r.deliver(context.Background(), []byte(`{}`)); !errors.Is(err, errBusy) {
		t.Fatalf("third delivery: %v, want errBusy", err)
	}
	close(release)
	for range 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	d.set(func(f *fakeDeliverer) { f.block, f.entered = nil, nil })
	if _, err := r.deliver(context.Background(), []byte(`{}`)); err != nil {
		t.Fatalf("after the others finished: %v", err)
	}
}

// The pipeline's callback answer becomes the SDK's response with the card
// JSON kept as it was; an empty answer is an empty response.
func TestCallbackResponse(t *testing.T) {
	resp, err := callbackResponse(json.RawMessage(`{"toast":{"type":"info","content":"hi","i18n":{"zh_cn":"你好"}},"card":{"type":"raw","data":{"b":1,"a":2.50}}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(resp)
	if string(b) != `{"toast":{"type":"info","content":"hi","i18n":{"zh_cn":"你好"}},"card":{"type":"raw","data":{"b":1,"a":2.50}}}` {
		t.Fatalf("response %s", b)
	}
	if resp, err := callbackResponse(json.RawMessage(`{}`)); err != nil || resp.Toast != nil || resp.Card != nil {
		t.Fatalf("empty answer: %+v %v", resp, err)
	}
	if _, err := callbackResponse(json.RawMessage(`not json`)); err == nil {
		t.Fatal("a broken answer was accepted")
	}
}
