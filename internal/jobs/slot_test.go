package jobs

import (
	"testing"

	"github.com/botd/botd/internal/state/statetest"
)

// requeueOrphanCmd's six keys (asynq's and botd's) are in their queue's
// slot, under any key prefix, so it runs on a Redis Cluster; the two queues
// are in different slots.
func TestOrphanScriptKeysShareASlot(t *testing.T) {
	slots := map[int]bool{}
	for _, prefix := range []string{"", "test:q1:"} {
		for _, queue := range []string{prefix + "botd:interactive", prefix + "botd:bulk"} {
			keys := []string{asynqKey(queue, "active"), asynqKey(queue, "lease"), asynqKey(queue, "pending"),
				asynqKey(queue, "t:finish:itx_1"), leaseKey(queue, "finish:itx_1"), resumedKey(queue, "finish:itx_1")}
			for _, k := range keys {
				if statetest.Slot(k) != statetest.Slot(keys[0]) {
					t.Errorf("%s: slot %d, %s: slot %d", k, statetest.Slot(k), keys[0], statetest.Slot(keys[0]))
				}
			}
			slots[statetest.Slot(keys[0])] = true
		}
	}
	if len(slots) != 4 {
		t.Errorf("four queues in %d slots", len(slots))
	}
}
