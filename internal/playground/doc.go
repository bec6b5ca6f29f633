// Package playground is botd's whole product in a browser, with no Feishu
// account: the chats of a small tenant (two normal groups, a topic group
// and each member's one-to-one chat with the bot) shown as three members
// see them, side by side, and botd's web app opened inside each member's
// simulated Feishu client.
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
// messages, the card a callback answer replaced in one member's view, and
// each member's simulated client (its language, a forced answer for the
// next tt.sendMessageCard).
//
// botd's web app (/app/) is reached through a proxy at /as/{member}/app/
// that puts the simulated client (web/clientsim.js: h5sdk and tt) in front
// of botd's unchanged page; the client's decisions (the config signature,
// login codes, sending a card into chats) are the simulator's.
//
// Files, one concern each:
//
//	world.go      the seeded chats, their members and the generated app credentials
//	simulator.go  the simulator on its own loopback port, on the shared clock
//	server.go     the HTTP routes and the embedded page (web/)
//	view.go       every chat as each member sees it, derived from the simulator
//	api.go        send a message, click a button or submit a form
//	formvalue.go  a form's inputs as the platform's form_value
//	events.go     live updates over Server-Sent Events
//	clock.go      the simulated time and fast-forward
//	nextdue.go    fast-forward to the next scheduled moment (Options.Due)
//	preview.go    the card preview: catalogue and validation
//	catalogue.go  every card the flows produce, rendered from the flows
//	webapp.go     botd's web app through the proxy, with the simulated client
//	client.go     the simulated client's calls: config, login codes, the chat picker
//	sendcard.go   tt.sendMessageCard through the simulator
package playground
