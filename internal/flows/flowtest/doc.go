// Package flowtest runs flows in tests: an engine on in-memory fakes of
// everything botd talks to (the store, the Open API, the job queue, the
// clock, chat lookups, member lists, fair use), with helpers that type a
// command, click a form's or a card's button, run the jobs and read the
// cards sent. A flow's own tests use it; so do the engine's.
//
//	v := flowtest.New(t, todo.Flow{})
//	it := v.Submit(t, "/todo Buy milk", map[string]any{"title": "Buy milk"})
//	card := v.Sender.Only(t, "post")[0].Card
//	v.CardClick(t, flowtest.BobID, card, "todo_done_btn")
//
// The fakes behave as the real adapters do where the flows can tell:
// versions are compare-and-set, records are JSON, a uuid posts once, the
// due set hands out members in due order.
package flowtest
