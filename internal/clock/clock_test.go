package clock

import (
	"testing"
	"time"
)

func TestOffset(t *testing.T) {
	var o Offset
	if d := o.Now().Sub(time.Now()); d > time.Second || d < -time.Second {
		t.Fatalf("zero Offset is %v off the wall clock", d)
	}
	o.Advance(48 * time.Hour)
	o.Advance(-time.Hour) // ignored: time never goes back
	if got := o.Elapsed(); got != 48*time.Hour {
		t.Fatalf("Elapsed = %v, want 48h", got)
	}
	if d := o.Now().Sub(time.Now()); d < 47*time.Hour {
		t.Fatalf("Now is only %v ahead", d)
	}
}
