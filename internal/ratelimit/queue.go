package ratelimit

import (
	"strings"
	"sync"

	"github.com/botd/botd/internal/flows"
)

// queues line up the waiters of one process in front of Redis. Without them,
// every goroutine waiting for the same quota wakes when a slot frees, all
// run the script, one wins and the rest go back to sleep: with 30 waiters
// that is 30 script runs per admission, and the CPU they burn delays the
// admitted calls unevenly, which eats into the margin. With them, only the
// head of each line polls Redis; the rest wait their turn in order, in the
// process, at no cost.
//
// A line is per call shape (its rules' keys) and priority: a call held back
// by its chat's quota does not hold back a call into another chat, and bulk
// work held back by its share does not hold back interactive work.
type queues struct {
	mu    sync.Mutex
	lines map[string]*line
}

type line struct {
	head  chan struct{} // holds a token while someone is at the head
	users int           // goroutines in the line or at its head
}

// lineKey names the line call joins at priority p.
func lineKey(call Call, p flows.Priority) string {
	var b strings.Builder
	b.WriteString(p.String())
	for _, r := range call.rules {
		b.WriteByte(' ')
		b.WriteString(r.key)
	}
	return b.String()
}

// join returns the line for key, counting the caller in; leave must follow.
func (q *queues) join(key string) *line {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.lines == nil {
		q.lines = map[string]*line{}
	}
	ln := q.lines[key]
	if ln == nil {
		ln = &line{head: make(chan struct{}, 1)}
		q.lines[key] = ln
	}
	ln.users++
	return ln
}

// leave counts the caller out, and forgets the line when it is empty so
// that lines for chats and messages seen once do not pile up.
func (q *queues) leave(key string, ln *line) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ln.users--
	if ln.users == 0 {
		delete(q.lines, key)
	}
}
