package flows_test

import (
	"testing"

	"github.com/botd/botd/internal/flows/flowtest"
)

// TestMessages holds the engine's own message table to the rule every
// flow's table follows: both languages filled in, the same format verbs.
func TestMessages(t *testing.T) { flowtest.CheckMessages(t, "messages.go", 20) }
