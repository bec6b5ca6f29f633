// Package flows is botd's domain: the interactions a group member has with the
// bot, the flows that drive them (/todo, /help, ...), and the small interfaces
// the flows need from the outside world (state, the Open API, a job queue).
//
// Adapters (internal/state, internal/ephemeral, internal/webhook,
// internal/jobs) implement or call these interfaces; they never import each
// other and meet only in cmd/botd.
//
// # Lifecycle of an interaction
//
// The Engine owns every step; a Flow only prefills, renders and checks values,
// so a new command is one file with no I/O.
//
//	HandleMessage   "/todo Buy milk @Bob" in a group
//	                → Store.CreateInteraction (pending, prefilled Form)
//	                → Jobs.Enqueue(send_form)
//	RunJob(send_form)  pending, no form yet → Sender.SendEphemeral → record EphemeralMessageID
//	HandleAction(submit)  owner only; invalid → error toast naming the field (+ the form again)
//	                      valid → CAS pending→submitted (values, time zone) → Jobs.Enqueue(finish)
//	RunJob(finish)  submitted → Sender.PostCard (uuid = ID+"-final") → record FinalMessageID
//	                → Sender.DeleteEphemeral → CAS submitted→done
//	HandleAction(cancel)  CAS pending→cancelled → Jobs.Enqueue(cancel)
//	RunJob(cancel)  cancelled → Sender.DeleteEphemeral
//
// The states and the only transitions between them:
//
//	pending ──submit──▶ submitted ──finish──▶ done
//	   │
//	   └──cancel──▶ cancelled
//
// # Retries and races
//
// Webhooks are redelivered and the job queue runs each job at least once, so
// every step re-reads the interaction and acts only on what is still missing:
// a job never sends a second form, never posts a second final card (the
// recorded FinalMessageID, and the uuid for a crash between post and record)
// and a callback never moves a state twice (every change is a compare-and-set
// on Interaction.Version; on ErrConflict the engine reloads and decides again).
// The final card is posted before the form is deleted, so a failed post
// never leaves the user with nothing.
//
// A click on a form that is no longer pending answers with the state it is in
// ("Already submitted") and re-enqueues the job of that state, which recovers
// an enqueue that failed after a state change; the job itself is idempotent.
//
// Every call to the Open API goes through the Outbox: it is marked started
// before the call and done, with its result, right after. A run that follows
// a crash reuses a done result instead of calling again (a form sent but not
// yet recorded is not sent twice). The one step the platform cannot make
// idempotent is the ephemeral send (it takes no uuid): when a run died while
// the call was in flight, nobody can know whether the form arrived, so the
// next run sends it again and the outbox flags the case as ambiguous. Both
// forms carry the same interaction id, so either works, and a send_form that
// finds another run's form already recorded deletes its own.
package flows
