package longconn

import (
	"errors"
	"net"
	"regexp"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// reasonOf says why a run of the SDK client ended with err; wasUp tells
// whether it had connected.
func reasonOf(err error, wasUp bool) string {
	var (
		ce *larkws.ClientError
		se *larkws.ServerError
		ne net.Error
	)
	switch {
	case wasUp && errors.As(err, &ne) && ne.Timeout():
		// The SDK's read deadline: no frame, not even a pong, in time.
		return ReasonTimeout
	case wasUp:
		return ReasonClosed
	case errors.As(err, &ce):
		return ReasonRefused
	case errors.As(err, &se):
		return ReasonUnavailable
	default:
		return ReasonNetwork
	}
}

// queryRE finds the query of a URL in an error's text: the platform's
// WebSocket URLs carry credentials for the connection (a ticket, an access
// key) in their query.
var queryRE = regexp.MustCompile(`\?[^\s"']*`)

// maxLogged bounds what an error or an SDK line puts into a log line.
const maxLogged = 512

// safeText is an error's or an SDK line's text for the logs: queries
// removed, bounded.
func safeText(s string) string {
	s = queryRE.ReplaceAllString(s, "?…")
	if len(s) > maxLogged {
		s = s[:maxLogged] + "…"
	}
	return s
}
