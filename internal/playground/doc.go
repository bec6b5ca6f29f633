// Package playground is botd's whole product in a browser, with no Feishu
// account: one group chat shown as three members see it, side by side.
//
// The playground plays the Feishu platform and nothing else. What a member
// types becomes a real, signed and encrypted im.message.receive_v1 event
// POSTed to botd's webhook; a click or a form submit becomes a real signed
// card.action.trigger callback. With botd in websocket mode
// (BOTD_EVENT_MODE=websocket, Options.LongConn) the same events and callbacks
// travel over the long connection botd opened to the simulator instead. What the members see is derived from the
// strict simulator's record of the Open API calls botd made (ephemeral
// sends and deletes, group posts and PATCHes), never from botd's internals,
// so the page shows exactly what botd did to the platform. The only state
// of its own is what the platform itself holds: the members' typed
// messages and the card a callback answer replaced in one member's view.
//
// Files, one concern each:
//
//	world.go      the seeded chat, its members and the generated app credentials
//	simulator.go  the simulator on its own loopback port, on the shared clock
//	server.go     the HTTP routes and the embedded page (web/)
//	view.go       the chat as each member sees it, derived from the simulator
//	api.go        send a message, click a button or submit a form
//	formvalue.go  a form's inputs as the platform's form_value
//	events.go     live updates over Server-Sent Events
//	clock.go      the simulated time and fast-forward
//	nextdue.go    fast-forward to the next scheduled moment (Options.Due)
//	preview.go    the card preview: catalogue and validation
//	catalogue.go  every card the flows produce, rendered from the flows
package playground
