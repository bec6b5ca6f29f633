package flows_test

import (
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
)

// A todo due, or a reminder set, as far ahead as the forms allow must
// still have its record when its due-set entry comes due: the record is
// created now and lives state.RecordTTL after that. The margin covers the
// todo nudge (09:00 on the due day, in a zone up to 14 hours ahead of UTC)
// and a queue running a day late.
func TestMaxAheadWithinRecordTTL(t *testing.T) {
	if margin := 3 * 24 * time.Hour; flows.MaxAhead+margin > state.RecordTTL {
		t.Fatalf("MaxAhead %v + %v exceeds state.RecordTTL %v: a record would expire before it is due",
			flows.MaxAhead, margin, state.RecordTTL)
	}
}
