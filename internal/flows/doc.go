// Package flows is botd's domain: the interactions a group member has with the
// bot, the Engine that drives them, the interfaces a flow implements, the Host
// through which a flow reaches the world, and the small interfaces the engine
// needs from the outside world (state, the Open API, a job queue).
//
// The flows themselves are plug-ins, one package each (internal/flows/todo,
// internal/flows/remind, internal/flows/help), listed in one registry
// (internal/flows/builtin). The engine imports none of them; they import
// only this package and never an adapter. Adapters (internal/state,
// internal/ephemeral, internal/webhook, internal/jobs) implement or call
// these interfaces; they never import each other and meet only in
// internal/app.
//
// # Plug-ins: what a flow is and what it may use
//
// A Flow prefills, renders and checks values (Start, Form, Submit, Final),
// pure functions of the interaction. What a flow does beyond that it
// declares, and the engine calls it with the Host, the one surface a flow
// uses for I/O: the clock and zones, cards (send, post, update, delete),
// the job queue, the due set, who is an admin or a member of a chat, its
// records (RecordsOf, on the Host's RecordStore) and logging.
//
//	Submitter   a form with a submit button and a final card for the group
//	Finisher    keeps a record of what it posts (BeforePost, AfterPost)
//	FormLoader  a form that shows stored data (/todo list)
//	Router      buttons of its own: Routes, one per CallbackSpec (callback.go)
//	JobRunner   jobs of its own: JobSpecs with kind, priority, retries,
//	            due-set prefix and handler, which the job queue reads
//	Catchall    answers the commands no flow is registered for (/help)
//	WebActor    its group-card buttons can be pressed from the web app (PressWeb)
//	Sharer      its records' cards can be shared as JSON 1.0 copies (webaction_share.go)
//	Reindexer   its records' indexes can be worked out from their JSON (backfills)
//
// Callback values are typed (Callback): a CallbackSpec encodes a button's
// value and the engine decodes every click against the spec of the flow and
// action it names, so a value botd did not make is refused with an error
// toast before anything is read. The specs keep the wire shape of every
// button botd ever posted.
//
// # Lifecycle of an interaction
//
// The Engine owns every step of an interaction; a flow's form is shown,
// submitted and closed without any code of its own.
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
//
// # Who may start a flow, and where its form goes
//
// HandleMessage decides both before anything is stored. mayStart (rules.go)
// applies the flow's Rule (anyone, admins, listed open_ids); admins are
// Deps.Admins (BOTD_ADMINS) and the chat's owner and managers from
// Deps.Chats (isAdmin, chatinfo.go), and may start everything. A refused
// member gets the engine's own notice naming who can (deniedFlow), through
// the same send_form job as any form. The same isAdmin decides the group-card
// buttons (Mark done, Cancel reminder, ...), so there is one notion of
// admin.
//
// formPlace (formplace.go) picks Interaction.FormIn from the chat's kind:
// an ephemeral card in an ordinary group; an ordinary card in the chat for
// a one-to-one chat with the bot; an ordinary card sent to the member's
// one-to-one chat (Sender.SendToUser) for a topic group, which has no
// ephemeral cards. showForm and closeForm hide the difference from the
// jobs: an ordinary message cannot be deleted, so it is replaced by a short
// "Submitted"/"Cancelled" card. The final card always goes to ChatID.
//
// Cards the whole group sees carry every locale (EveryLocale, i18n.go);
// cards one member sees are in that member's language, because the
// ephemeral API refuses the only multi-language form card JSON 2.0 has.
//
// # Records: todos and reminders after their card is posted
//
// An interaction ends when its card is in the group; what the card stands
// for lives on as a record with its own id and compare-and-set version
// (recordstore.go: one store for every flow's records, a typed view per
// record type). A flow that keeps one implements Finisher: the finish job
// calls BeforePost, which creates the record under an id derived from the
// interaction's (so a retried job finds it), then posts the card, whose
// buttons name the record, then AfterPost records the card's message id.
//
//	todo      open ──Mark done──▶ done ──Reopen──▶ open     (assignee, creator, admins)
//	reminder  active ──fires (once)──▶ done
//	          active | done with a pending snooze ──Cancel──▶ cancelled   (creator, admins)
//
// Buttons on group cards carry {"flow","action", and the record's id}, no
// "iid": HandleAction routes them to the flow's Route for the action, which
// loads the record and lets only members of the record's chat through
// (Host.RefuseNonMember). A click answers at once with the new card, and
// enqueues a card job that PATCHes the message for everyone; each change
// gets its own job, which renders, PATCHes and re-reads until the record
// stood still (SyncCard), so the last PATCH shows the last state whatever
// order concurrent jobs run in.
//
// # Scheduling
//
// What comes due (a reminder's next occurrence, a snooze, a todo's due
// date) is a member of the due set (DueSet), scored by its due time:
// "rem:{id}:{ms}", "rem:{id}:s{ms}", "tododue:{id}:{ms}". The scheduler
// (internal/schedule) runs on every replica, reads members due by botd's
// clock and calls EnqueueDue, which enqueues the job of the flow that
// claims the prefix (JobSpec.DuePrefix) with the member as its id; then the
// member is removed. Replicas racing enqueue once (the member is the task
// id), and a crash between enqueue and removal enqueues again, so the fire
// job is guarded by the record: a cancelled reminder, an occurrence that
// is not its NextDue, or one at or before LastFired is skipped. It posts
// first, with a uuid per occurrence, then records the occurrence and the
// next one (computed from now in the reminder's zone, so missed occurrences
// are skipped and an outage ends in one late firing), then puts the next one
// in the due set. Fire jobs run at bulk priority: paced, never dropped.
package flows
