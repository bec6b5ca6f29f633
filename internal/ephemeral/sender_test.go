package ephemeral

import "github.com/botd/botd/internal/flows"

// Client is what cmd/botd hands to flows as its Sender. Only this test
// imports flows: the package itself stays independent of the domain.
var _ flows.Sender = (*Client)(nil)
