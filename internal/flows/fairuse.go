package flows

import (
	"fmt"
	"time"
)

// FairUse caps how many commands start forms over a short window, so that
// one member typing commands in a loop (or one chat in a frenzy) cannot
// spend the app's Open API quota for everyone. The first refused command in
// a window gets one private "slow down" notice; the rest are dropped
// silently until the window passes.
type FairUse struct {
	MemberCommands int           // per member and chat, per Window; 0: no cap
	ChatCommands   int           // per chat, per Window; 0: no cap
	Window         time.Duration // the window both caps count over
}

// DefaultFairUse is the cap botd runs with unless the config says otherwise:
// a person rarely types more than a few commands in ten seconds, and a busy
// chat's stand-up rush stays well under its ephemeral quota (40/s).
func DefaultFairUse() FairUse {
	return FairUse{MemberCommands: 5, ChatCommands: 60, Window: 10 * time.Second}
}

// Validate reports a cap that cannot work.
func (f FairUse) Validate() error {
	switch {
	case f.MemberCommands < 0 || f.ChatCommands < 0:
		return fmt.Errorf("fair_use: caps must be 0 (off) or positive")
	case (f.MemberCommands > 0 || f.ChatCommands > 0) && (f.Window < time.Second || f.Window > time.Hour):
		return fmt.Errorf("fair_use: window %v: want 1s to 1h", f.Window)
	}
	return nil
}
