package ratelimit

// Every key the limiter writes is built here, under one prefix, so that the
// schema can be read (and scanned, and deleted) in one place:
//
//	botd:rl:app:{api}          ZSET  app-tier log of one API (per second and per minute)
//	botd:rl:pause:{api}        STR   app tier paused until (ms, server time) after a 429
//	botd:rl:eph:chat:{chat}    ZSET  ephemeral sends into one chat
//	botd:rl:msg:chat:{chat}    ZSET  messages into one chat
//	botd:rl:msg:user:{open_id} ZSET  p2p messages to one user
//	botd:rl:patch:msg:{msg}    ZSET  updates of one message
//
// A log's members are unique admission ids, its scores admission times in
// milliseconds of server time. Each key expires one second after its longest
// window, so idle ones vanish.
const keyPrefix = "botd:rl:"

func appKey(api API) string               { return keyPrefix + "app:" + string(api) }
func pauseKey(api API) string             { return keyPrefix + "pause:" + string(api) }
func chatEphemeralKey(chat string) string { return keyPrefix + "eph:chat:" + chat }
func chatMessageKey(chat string) string   { return keyPrefix + "msg:chat:" + chat }
func userMessageKey(openID string) string { return keyPrefix + "msg:user:" + openID }
func messageUpdateKey(msg string) string  { return keyPrefix + "patch:msg:" + msg }
