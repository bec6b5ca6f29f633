package feishusim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Call is one request the simulator answered, in arrival order. It never
// holds the Authorization header, and the app secret of a token or
// long-connection endpoint request is replaced by "REDACTED".
type Call struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"` // simulator clock when the request arrived
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Query    string          `json:"query,omitempty"`
	Status   int             `json:"status"` // HTTP status
	Code     int             `json:"code"`   // platform code in the answer
	Body     json.RawMessage `json:"body,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
	// Duplicate is set on im/v1/messages requests whose uuid matched an
	// earlier message within the hour: answered, but nothing was posted.
	Duplicate bool `json:"duplicate,omitempty"`
}

// recorder keeps the call log and the subscribers watching it.
type recorder struct {
	mu    sync.Mutex
	seq   int64
	calls []Call
	subs  map[int]chan Call
	next  int
}

func newRecorder() *recorder { return &recorder{subs: map[int]chan Call{}} }

func (rc *recorder) add(c Call) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.seq++
	c.Seq = rc.seq
	rc.calls = append(rc.calls, c)
	for _, ch := range rc.subs {
		// A UI that falls behind loses live updates rather than stalling the
		// API; it can always re-read Calls().
		select {
		case ch <- c:
		default:
		}
	}
}

// Calls returns a copy of every call recorded since New or Reset.
func (s *Server) Calls() []Call {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return append([]Call(nil), s.rec.calls...)
}

// Subscribe returns a channel that receives every call recorded from now on,
// and a cancel func that closes it. The channel is buffered; when a
// subscriber falls more than 256 calls behind, further calls are dropped for
// it (Calls still has them).
func (s *Server) Subscribe() (<-chan Call, func()) {
	rc := s.rec
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id := rc.next
	rc.next++
	ch := make(chan Call, 256)
	rc.subs[id] = ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			delete(rc.subs, id)
			close(ch)
		})
	}
}

// callMeta travels with a request so that handlers can see the body the
// recorder read and mark the call as a duplicate.
type callMeta struct {
	body      []byte
	duplicate bool
}

type callKey struct{}

func callFrom(ctx context.Context) *callMeta {
	if m, ok := ctx.Value(callKey{}).(*callMeta); ok {
		return m
	}
	return &callMeta{}
}

// captureWriter keeps a copy of what the handler answered.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (cw *captureWriter) WriteHeader(status int) {
	if cw.status == 0 {
		cw.status = status
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *captureWriter) Write(b []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	cw.body.Write(b)
	return cw.ResponseWriter.Write(b)
}

// record is the outermost middleware: it gives every answer a log id, reads
// the body once for everyone, and logs the exchange.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Tt-Logid", newLogID(s.now()))
		arrived := s.now()
		cw := &captureWriter{ResponseWriter: w}
		meta := &callMeta{}
		body, err := readBody(r)
		if err != nil {
			s.writeError(cw, r, refuse(CodeBadRequest, "Bad Request: cannot read body: %v", err))
		} else {
			meta.body = body
			next.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), callKey{}, meta)))
		}
		var answer struct {
			Code int `json:"code"`
		}
		_ = json.Unmarshal(cw.body.Bytes(), &answer)
		if strings.HasPrefix(r.URL.Path, authPathPrefix) || r.URL.Path == oauthTokenPath || r.URL.Path == EndpointPath {
			body = redactSecret(body)
		}
		s.rec.add(Call{
			Time:      arrived,
			Method:    r.Method,
			Path:      r.URL.Path,
			Query:     r.URL.RawQuery,
			Status:    cw.status,
			Code:      answer.Code,
			Body:      asJSON(body),
			Response:  asJSON(cw.body.Bytes()),
			Duplicate: meta.duplicate,
		})
	})
}

// asJSON keeps valid JSON as it is and turns anything else into a JSON
// string, so a Call always marshals.
func asJSON(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if json.Valid(b) {
		return append(json.RawMessage(nil), b...)
	}
	q, _ := json.Marshal(string(b))
	return q
}

func redactSecret(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return []byte(`"(unparsable token request, not recorded)"`)
	}
	for _, k := range []string{"app_secret", "AppSecret", "ClientAssertion", "app_ticket", "app_access_token", "client_secret"} {
		if _, ok := m[k]; ok {
			m[k] = "REDACTED"
		}
	}
	b, _ := json.Marshal(m)
	return b
}
