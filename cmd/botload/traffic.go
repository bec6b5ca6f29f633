package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// prepared is one delivery built, encrypted and signed ahead of time, so
// that the generator's own crypto (AES, SHA-256, JSON) happens before a
// measured round and does not cap the rate it measures.
type prepared struct {
	header http.Header // read-only once built; shared by every send of it
	body   []byte
}

// preparer builds deliveries with feishusim.Platform, so the payloads are
// exactly what the simulator's platform sends (envelope, create_time units,
// encryption, signature), but captures them instead of sending them.
type preparer struct{ platform *feishusim.Platform }

// newPreparer prepares webhook deliveries, or, with longConn, the plain
// JSON the platform sends over the long connection (neither encrypted nor
// signed).
func newPreparer(c credentials, longConn bool) *preparer {
	p := &feishusim.Platform{
		// The host is never contacted: captureTransport answers.
		EventURL: "http://capture.invalid/webhook/event",
		CardURL:  "http://capture.invalid/webhook/card",
		AppID:    c.appID, TenantKey: c.tenantKey,
		VerificationToken: c.token, EncryptKey: c.encryptKey,
		Client: &http.Client{Transport: captureTransport{}},
	}
	if longConn {
		p.EncryptKey = ""
	}
	return &preparer{platform: p}
}

// captureTransport answers every request with an empty 200 without sending
// it; Platform reports what it would have sent in Result.Sent.
type captureTransport struct{}

func (captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(nil)), Request: r}, nil
}

// text prepares an im.message.receive_v1 delivery with a fresh event_id and
// message_id (unless o sets them).
func (p *preparer) text(o feishusim.MessageOpts) (prepared, error) {
	res, err := p.platform.SendText(context.Background(), o)
	if err != nil {
		return prepared{}, fmt.Errorf("prepare message event: %w", err)
	}
	return prepared{header: res.Sent.Header, body: res.Sent.Body}, nil
}

// click prepares a card.action.trigger delivery with a fresh event_id.
func (p *preparer) click(o feishusim.ActionOpts) (prepared, error) {
	res, err := p.platform.ClickButton(context.Background(), o)
	if err != nil {
		return prepared{}, fmt.Errorf("prepare card callback: %w", err)
	}
	return prepared{header: res.Sent.Header, body: res.Sent.Body}, nil
}

// sender posts prepared deliveries over kept-alive connections or, with lc
// set, delivers them over the simulator's long connection to botd (the URL
// is then not used).
type sender struct {
	client *http.Client
	lc     *feishusim.LongConn
}

// newSender sizes the idle pool to the generator's concurrency: with the
// default of 2 idle connections per host, a closed loop of 64 workers would
// open and close connections all the time and measure TCP setup instead.
func newSender(conns int) *sender {
	tr := &http.Transport{
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &sender{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// send posts p to u and returns the status and, when keepBody is set, the
// answer (otherwise it is drained and dropped, which is cheaper).
func (s *sender) send(ctx context.Context, u *url.URL, p prepared, keepBody bool) (int, []byte, error) {
	if s.lc != nil {
		// The acknowledgement's code stands for the status, its data for
		// the body (a callback's answer).
		a, err := s.lc.Deliver(ctx, p.body)
		return a.Code, a.Data, err
	}
	req := (&http.Request{
		Method:        http.MethodPost,
		URL:           u,
		Host:          u.Host,
		Header:        p.header,
		Body:          io.NopCloser(bytes.NewReader(p.body)),
		ContentLength: int64(len(p.body)),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
	}).WithContext(ctx)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if !keepBody {
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

func (s *sender) close() { s.client.CloseIdleConnections() }

// endpoint is the URL of path on a server botload started.
func endpoint(addr, path string) *url.URL {
	return &url.URL{Scheme: "http", Host: addr, Path: path}
}
