// Package builtin is botd's registry of flows: the one list of what botd
// runs. The engine registers it (internal/app), /help lists it, the
// config's flows: block is checked against it (cmd/botd) and the
// playground shows its examples. A new flow is one package and one line
// here.
package builtin

import (
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/announce"
	"github.com/botd/botd/internal/flows/help"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
)

// Flows returns the flows botd runs, in the order /help lists them.
func Flows() []flows.Flow {
	var all []flows.Flow
	all = []flows.Flow{
		todo.Flow{},
		remind.Flow{},
		announce.Flow{},
		help.New(func() []flows.Flow { return all }),
	}
	return all
}
