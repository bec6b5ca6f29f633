package playground

import "testing"

// With botd in websocket mode (BOTD_EVENT_MODE=websocket) the page works
// the same: its messages and clicks travel over the long connection botd
// opened to the simulator, and a callback's answer (a toast, a replacement
// card) comes back on its frame.
func TestPlaygroundOverTheLongConnection(t *testing.T) {
	t.Run("submit", func(t *testing.T) {
		pg, srv := testPlaygroundIn(t, true)
		submitShowsTheGroupCard(t, srv)
		// The command and the submit, acknowledged on the long connection.
		if st := pg.sim.LongConn().Stats(); st.Acked != 2 || st.Failed != 0 {
			t.Fatalf("long connection: %+v, want 2 deliveries acknowledged", st)
		}
	})
	t.Run("validation error", func(t *testing.T) {
		_, srv := testPlaygroundIn(t, true)
		validationErrorReplacesTheForm(t, srv)
	})
}
