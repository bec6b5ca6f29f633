package ratelimit

import "strings"

// Every key the limiter writes is built here, under one prefix, so that the
// schema can be read (and scanned, and deleted) in one place:
//
//	botd:rl:{API}:app          ZSET  app-tier log of one API (per second and per minute)
//	botd:rl:{API}:pause        STR   app tier paused until (ms, server time) after a 429
//	botd:rl:{API}:chat:CHAT    ZSET  ephemeral sends (API ephemeral.send) or messages
//	                                 (im.message.create) into one chat
//	botd:rl:{API}:user:OPEN_ID ZSET  p2p messages to one user (im.message.create)
//	botd:rl:{API}:msg:MESSAGE  ZSET  updates of one message (im.message.patch)
//
// A log's members are unique admission ids, its scores admission times in
// milliseconds of server time. Each key expires one second after its longest
// window, so idle ones vanish. The client's key prefix, when it has one
// (state.WithKeyPrefix: the URL's key_prefix), goes in front of each.
//
// Slot rule (Redis Cluster): one script checks and records every rule of a
// call, all-or-nothing, so every key of a call is in one slot. A call's
// rules are its API's app tier and pause, and at most one per-chat,
// per-user or per-message log that only this API counts: the hash tag
// {API} puts all of them in the API's slot. Each API's slot then carries
// at most that API's app-tier quota of admissions (50 a second) and the
// refused attempts of the in-process queue heads (queue.go): far below
// what one master serves. Sharding the app tier's log would split its
// quota between shards, which no sliding window can do exactly.
//
// A store app (Options.PerTenant) is limited per tenant, as the platform
// counts (§12.1: "per API, per app, per tenant"), and its chats belong to
// one tenant each. Every key of a call then carries the call's tenant
// inside the hash tag, next to the API:
//
//	botd:rl:{API:TENANT}:app, …:pause, …:chat:CHAT, …:user:OPEN_ID, …:msg:MESSAGE
//
// so a call's keys still share one slot, and the tenants' logs spread over
// every slot instead of piling into the API's one. A tenant key has no ':'
// '{' or '}' (tenant.Check), so the tag cannot be confused. A self-built
// app's keys are exactly as above. Like every window, a tenant's keys
// expire a second after their longest window: removing a tenant need not
// delete them.
const keyPrefix = "botd:rl:"

func apiKey(api API, rest string) string  { return keyPrefix + "{" + string(api) + "}:" + rest }
func appKey(api API) string               { return apiKey(api, "app") }
func pauseKey(api API) string             { return apiKey(api, "pause") }
func chatEphemeralKey(chat string) string { return apiKey(APIEphemeralSend, "chat:"+chat) }
func chatMessageKey(chat string) string   { return apiKey(APIMessageCreate, "chat:"+chat) }
func userMessageKey(openID string) string { return apiKey(APIMessageCreate, "user:"+openID) }
func messageUpdateKey(msg string) string  { return apiKey(APIMessagePatch, "msg:"+msg) }

// inTenant is key in tenant t's space: t joins the API in the hash tag.
// Every key is built by apiKey, so it has one.
func inTenant(key, t string) string {
	i := strings.IndexByte(key, '}')
	return key[:i] + ":" + t + key[i:]
}

// AppKey is the app-tier log of api, after the client's key prefix: tests
// count the calls botd made from it.
func AppKey(keyPrefix string, api API) string { return keyPrefix + appKey(api) }

// AppKeyFor is AppKey for one tenant of a store app.
func AppKeyFor(keyPrefix string, api API, tenant string) string {
	return keyPrefix + inTenant(appKey(api), tenant)
}
