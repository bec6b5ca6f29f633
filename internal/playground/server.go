package playground

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
)

// web holds the page: plain HTML, CSS and ES modules, served as they are
// (no build step).
//
//go:embed web
var web embed.FS

// Options configure a Server.
type Options struct {
	Sim     *Simulator   // the simulator botd talks to; required
	BotdURL string       // base URL of botd's webhooks; required unless LongConn
	Flows   []flows.Flow // botd's flows, for the preview catalogue
	Log     *zap.Logger  // default zap.NewNop()
	// LongConn says botd runs in websocket mode (BOTD_EVENT_MODE): the
	// platform delivers over the long connection botd opened to the
	// simulator, not to BotdURL.
	LongConn bool
	// Exposed says the operator chose to serve the page beyond loopback
	// (botd -playground -playground-expose): the API then accepts any Host
	// name, still refusing cross-origin requests.
	Exposed bool
	// Due reads botd's due set for the "next due" button; optional.
	Due DueReader
}

// Server is the playground's web server: the page, its JSON API and the
// live event stream. It is an http.Handler.
type Server struct {
	sim      *feishusim.Server
	platform *feishusim.Platform
	world    World
	clock    *clock.Offset
	flows    []flows.Flow
	log      *zap.Logger
	router   chi.Router
	exposed  bool
	due      DueReader

	chat    chatLog
	changes broadcaster  // typed messages, overrides and clock moves
	client  clientState  // the members' simulated clients (client.go)
	webApp  http.Handler // the proxy to botd's web app (webapp.go); nil without botd's URL

	closeOnce sync.Once
	closed    chan struct{} // closed by Close: event streams end
}

// New returns the playground's server for botd at opts.BotdURL.
func New(opts Options) (*Server, error) {
	if opts.Sim == nil || (opts.BotdURL == "" && !opts.LongConn) {
		return nil, errors.New("playground: New needs a simulator and, unless botd is on the long connection, botd's URL")
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	s := &Server{
		sim:      opts.Sim.Sim,
		platform: opts.Sim.Platform(opts.BotdURL),
		world:    opts.Sim.World,
		clock:    opts.Sim.Clock,
		flows:    opts.Flows,
		log:      opts.Log,
		closed:   make(chan struct{}),
		exposed:  opts.Exposed,
		due:      opts.Due,
	}
	if opts.LongConn {
		s.platform = opts.Sim.LongConnPlatform()
	}
	if opts.BotdURL != "" {
		p, err := s.newWebAppProxy(opts.BotdURL)
		if err != nil {
			return nil, err
		}
		s.webApp = p
	}
	s.router = s.routes()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Close ends the live event streams, which would otherwise hold an
// http.Server's Shutdown until its deadline. Register it with
// http.Server.RegisterOnShutdown.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closed) }) }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	static, _ := fs.Sub(web, "web") // "web" is embedded above; Sub cannot fail
	r.Get("/", serveFile(static, "index.html"))
	r.Get("/preview", serveFile(static, "preview.html"))
	r.Handle("/static/*", http.StripPrefix("/static/", noCache(http.FileServerFS(static))))
	// botd's web app as a member's client shows it (webapp.go). The Host
	// and Origin guard applies: the page acts as that member.
	r.With(guardSameOrigin(s.exposed)).Handle(webAppPrefix+"{member}/app*", http.HandlerFunc(s.handleWebApp))
	r.Route("/api", func(r chi.Router) {
		r.Use(guardSameOrigin(s.exposed))
		r.Get("/world", s.handleWorld)
		r.Get("/state", s.handleState)
		r.Get("/calls", s.handleCalls)
		r.Get("/events", s.handleEvents)
		r.Post("/send", s.handleSend)
		r.Post("/action", s.handleAction)
		r.Get("/clock", s.handleClock)
		r.Post("/clock", s.handleAdvance)
		r.Post("/clock/next-due", s.handleNextDue)
		r.Get("/cards", s.handleCards)
		r.Post("/validate", s.handleValidate)
		r.Route("/client", func(r chi.Router) { // the simulated client (client.go)
			r.Get("/settings", s.handleClientSettings)
			r.Post("/settings", s.handleSetClientSettings)
			r.Post("/config", s.handleClientConfig)
			r.Post("/access", s.handleClientAccess)
			r.Get("/chats", s.handleClientChats)
			r.Post("/trigger", s.handleClientTrigger)
			r.Post("/send-card", s.handleClientSendCard)
		})
	})
	return r
}

// serveFile serves one embedded page.
func serveFile(static fs.FS, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, name)
	}
}

// noCache makes the browser revalidate the assets, so a rebuilt binary's
// page is never mixed with an old module from the cache.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// view derives every member's view of the chat now.
func (s *Server) view() View {
	return deriveView(s.world, s.sim.Ephemerals(), s.sim.Messages(), s.sim.ClientSender, &s.chat, s.clock.Now(), s.clock.Elapsed())
}

// broadcaster wakes every subscriber when something the simulator does not
// record changes. A wake-up carries nothing: subscribers re-derive the view.
type broadcaster struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func (b *broadcaster) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan struct{}]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

func (b *broadcaster) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}
