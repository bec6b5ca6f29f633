package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// turnProxy is a TCP proxy between botd and its Redis that counts round
// trips: on each connection, a turn starts whenever the client sends
// something after the server last sent something (or for the first time).
// go-redis writes a command, or a whole pipeline or MULTI…EXEC, and then
// waits for every answer before it writes again on that connection, so a
// turn is one round trip, however many commands it carries and however
// many reads the bytes arrive in. A script (EVAL/EVALSHA) is one turn,
// the commands it runs none. Server pushes (pub/sub) end a turn like an
// answer does. INFO commandstats counts commands; this counts waits.
type turnProxy struct {
	ln     net.Listener
	target string
	turns  atomic.Int64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// newTurnProxy listens on a free 127.0.0.1 port and forwards to target.
func newTurnProxy(target string) (*turnProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("round-trip proxy: %w", err)
	}
	p := &turnProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.serve)
	return p, nil
}

// addr is where clients connect.
func (p *turnProxy) addr() string { return p.ln.Addr().String() }

// count is the round trips so far, over every connection.
func (p *turnProxy) count() int64 { return p.turns.Load() }

func (p *turnProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			c.Close()
			return
		}
		p.wg.Go(func() { p.relay(c) })
	}
}

// track remembers c so close can end it; false once the proxy is closed.
func (p *turnProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *turnProxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

// Directions of the last bytes seen on a connection.
const (
	sentNothing int32 = iota
	sentByClient
	sentByServer
)

// relay copies both ways between client and a new connection to the
// target until either side closes.
func (p *turnProxy) relay(client net.Conn) {
	defer p.untrack(client)
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return // the client sees its connection close, as with a dead Redis
	}
	if !p.track(server) {
		server.Close()
		return
	}
	defer p.untrack(server)
	defer server.Close()
	var last atomic.Int32 // sentNothing, sentByClient or sentByServer
	done := make(chan struct{}, 2)
	go func() {
		copyCounting(server, client, func() {
			if last.Swap(sentByClient) != sentByClient {
				p.turns.Add(1)
			}
		})
		done <- struct{}{}
	}()
	go func() {
		copyCounting(client, server, func() { last.Store(sentByServer) })
		done <- struct{}{}
	}()
	<-done
	// One side ended: end the other too, so its copy returns.
	client.Close()
	server.Close()
	<-done
}

// copyCounting copies src to dst, calling seen before forwarding each read.
func copyCounting(dst io.Writer, src io.Reader, seen func()) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			seen()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close stops listening, ends every connection and waits for the relays.
func (p *turnProxy) close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
