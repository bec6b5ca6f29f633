package check

import (
	"encoding/json"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile" // the Caddyfile adapter
	_ "github.com/caddyserver/caddy/v2/modules/standard"          // the modules of the stock caddy image
)

// CheckCaddyfile adapts a Caddyfile to Caddy's JSON config with Caddy's own
// adapter and the stock image's modules, then has Caddy validate it
// (every module provisioned, nothing started): an unknown directive,
// option or module, or a bad value, is an error. Environment placeholders
// ({$VAR}) are read from this process's environment, as Caddy does.
func CheckCaddyfile(data []byte) error {
	adapter := caddyconfig.GetAdapter("caddyfile")
	if adapter == nil {
		return fmt.Errorf("no caddyfile adapter")
	}
	out, warnings, err := adapter.Adapt(data, map[string]any{"filename": "Caddyfile"})
	if err != nil {
		return fmt.Errorf("adapt: %w", err)
	}
	for _, w := range warnings {
		return fmt.Errorf("adapt: %s", w.String())
	}
	var cfg caddy.Config
	if err := json.Unmarshal(out, &cfg); err != nil {
		return fmt.Errorf("adapted config: %w", err)
	}
	if err := caddy.Validate(&cfg); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	return nil
}
