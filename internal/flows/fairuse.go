package flows

import (
	"context"
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

// On reports whether any cap is set.
func (f FairUse) On() bool { return f.MemberCommands > 0 || f.ChatCommands > 0 }

// FairUseCounter counts commands against the FairUse caps in windows shared
// by every replica (state.FairUse on Redis). It is asked once per command,
// before anything else is done for it, so that a flood costs one Redis
// round trip per message and no Open API call.
type FairUseCounter interface {
	// CountCommand counts one command by openID in chatID and says whether
	// it is within caps. A refused command is not counted against the chat,
	// so one member's flood never uses up the others' share.
	CountCommand(ctx context.Context, chatID, openID string, caps FairUse) (FairUseVerdict, error)
}

// FairUseVerdict is the answer for one command.
type FairUseVerdict struct {
	Allowed bool
	// Notify is set on the first refusal of the member in the window: they
	// get one private notice, and later refusals in the window are silent.
	// It is decided in Redis, so racing replicas notify once.
	Notify bool
	// ChatCap is set when the chat's cap refused the command, rather than
	// the member's own.
	ChatCap bool
	// RetryIn is how long until the window that refused the command ends.
	RetryIn time.Duration
}
