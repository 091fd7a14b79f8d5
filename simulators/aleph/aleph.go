// Package aleph is a mock ALEPH (Ex Libris) library system as a remote-storage
// facility meets it (docs/libraries.md, ALEPH): an NCIP 1 responder reachable three ways —
// HTTP POST /ncip, the web-server style GET /ncip?<url-encoded message>, and
// raw TCP NCIP ports with client IP allow-lists — a small circulation state
// (sublibraries, items, loans, hold requests, patrons) that CheckOutItem and
// CheckInItem change, and a request-file poster that sends ALEPH hold-request
// slips to the facility's REST API.
//
// It is started like an httptest server:
//
//	srv, err := aleph.Start(aleph.DemoConfig())
//	defer srv.Close()
//	resp, err := http.Post(srv.URL()+"/ncip", "text/xml", body)
//
// Every exchange is journaled, and the inspection API of package simapi is
// served under /_sim/ on the HTTP listener, with POST /_sim/post-requests.
package aleph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/annexlab/annex/internal/httpserve"
	"github.com/annexlab/annex/internal/lifecycle"
	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/simapi"
)

// Defaults applied by New.
const (
	// DefaultLoanPeriod is the loan-policy period used when a CheckOutItem has no DesiredDateDue.
	DefaultLoanPeriod = 14 * 24 * time.Hour
	// DefaultReadTimeout bounds how long a raw NCIP port waits for a message.
	DefaultReadTimeout = 30 * time.Second
	// MaxMessage caps one NCIP message on every transport.
	MaxMessage = 1 << 20
)

// Config configures a mock ALEPH. The zero value is usable: an HTTP listener
// on 127.0.0.1 with no raw ports and an empty state; its HTTP endpoint then
// answers every message with Unknown Agency, since it has no port settings.
type Config struct {
	// Listen is the HTTP address (/ncip and /_sim/); "" means 127.0.0.1:0.
	Listen string `yaml:"listen"`
	// Ports are the raw NCIP ports, one ALEPH NCIP server each (tab_ncip.conf.<port>).
	// The HTTP endpoints answer with the settings of the first port.
	Ports []PortConfig `yaml:"ports"`
	// State is the library's circulation state at start and after a reset.
	State State `yaml:"state"`
	// Poster sends hold-request slips to the facility (POST /_sim/post-requests).
	Poster PosterConfig `yaml:"poster"`
	// LoanPeriod is the loan-policy period for a check-out without
	// DesiredDateDue, such as "336h"; 0 means DefaultLoanPeriod.
	LoanPeriod time.Duration `yaml:"loan_period"`
	// ReadTimeout bounds reading one message on a raw port; 0 means DefaultReadTimeout.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// HTTPTimeouts bound the HTTP listener (/ncip and /_sim/); zero fields take httpserve's defaults.
	HTTPTimeouts httpserve.Timeouts `yaml:"http_timeouts"`
	// JournalMax and JournalMaxBytes bound the journal; 0 means journal.DefaultMax and DefaultMaxBytes.
	JournalMax      int   `yaml:"journal_max"`
	JournalMaxBytes int64 `yaml:"journal_max_bytes"`
	// FaultSeed seeds the draws of probabilistic faults, so a run can be repeated.
	FaultSeed uint64 `yaml:"fault_seed"`

	// Clock gives the time for due dates and the journal; nil means time.Now.
	Clock func() time.Time `yaml:"-"`
	// Logger receives operational messages; nil means slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// PortConfig is one ALEPH NCIP server: a raw TCP port and what it accepts.
type PortConfig struct {
	// Listen is the raw NCIP port's address; "" means 127.0.0.1:0 (the real ones are 5991, 5992, …).
	Listen string `yaml:"listen"`
	// AllowedClients is the client IP allow-list (ALEPH's licence records,
	// one per client IP); a client outside it is refused. It applies to the
	// raw port only: the HTTP endpoints stand for ALEPH's web server.
	AllowedClients []netip.Prefix `yaml:"allowed_clients"`
	// Agency is the agency this server answers for: the facility's TO agency (CLIENTAGENCY).
	Agency string `yaml:"agency"`
	// FromAgencies are the FROM agencies it accepts (CAIAAGENCY).
	FromAgencies []string `yaml:"from_agencies"`
	// ApplicationProfileType is expected on CheckInItem (CAIAPROFILE), matched case-sensitively.
	ApplicationProfileType string `yaml:"application_profile_type"`
	// Users maps a circulation stop to the user ids valid on CheckOutItem (CAIAUSER per stop).
	Users map[string][]string `yaml:"users"`
	// SubLibrary is where a check-in on this port leaves the item ("" keeps
	// the item's own): ALEPH checks in to the receiving sublibrary, without transit.
	SubLibrary string `yaml:"sub_library"`
}

// PosterConfig is where and how the request-file poster sends hold-request slips.
type PosterConfig struct {
	// URL is the facility's request-file endpoint, e.g. https://site/api/requestfile/v1.
	URL string `yaml:"url"`
	// APIKey goes in the X-API-Key header.
	APIKey string `yaml:"api_key"`
	// Format is "xml" (ALEPH print XML, the default) or "text".
	Format string `yaml:"format"`
	// Layout is how an XML file prints hold-request slips: "aleph22" (the
	// default: everything in section-01, as ALEPH 22 sites print it) or
	// "legacy" (items in repeatable section-02 with loan-exists).
	// Photocopy requests always print as photo-request-slip.
	Layout string `yaml:"layout"`
	// ContentType overrides the Content-Type sent; the default depends on Format.
	ContentType string `yaml:"content_type"`
	// Text is the layout of a "text" request file.
	Text TextLayout `yaml:"text"`
}

// DemoConfig is the configuration `annex up` and `annex sim aleph` start
// with: one port for CAIAAGENCY → CLIENTAGENCY, three items on the shelf in
// MAIN, two hold requests. Listen addresses are left empty (the CLI sets
// them) and so is Poster.URL (the caller points it at the facility). The API
// key "demo-key" is a demo value only.
func DemoConfig() Config {
	return Config{
		Ports: []PortConfig{{
			AllowedClients:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Agency:                 "CLIENTAGENCY",
			FromAgencies:           []string{"CAIAAGENCY"},
			ApplicationProfileType: "CAIAPROFILE",
			Users:                  map[string][]string{"MAIN-CIRC": {"CAIAUSER"}, "SCI-CIRC": {"CAIAUSER2"}},
			SubLibrary:             "MAIN",
		}},
		State: State{
			SubLibraries:    []string{"MAIN"},
			SubLibraryNames: map[string]string{"MAIN": "Main Library"},
			Items: []Item{
				{Barcode: "000000001", SubLibrary: "MAIN", Collection: "ANNEX", CallNumber: "QA76.73.G63 D66 2015", Status: StatusOnShelf},
				{Barcode: "000000002", SubLibrary: "MAIN", Collection: "ANNEX", CallNumber: "PN6728.P4 S3 2000", Status: StatusOnShelf},
				{Barcode: "000000003", SubLibrary: "MAIN", Collection: "ANNEX", CallNumber: "Z699 .N35 2004", Status: StatusOnShelf},
			},
			Requests: []HoldRequest{
				{ID: "000000101", Barcode: "000000001", PatronID: "P0001", PatronName: "Müller, Anna",
					PatronAddress: []string{"Gartenstraße 12", "79098 Freiburg"}, PatronEmail: "anna.mueller@example.org",
					PickupLocation: "Main Library Circulation Desk", SubLibrary: "MAIN", ISBN: "9780134190440",
					Title: "The Go programming language", Author: "Donovan, Alan A. A.",
					CallNumber: "QA76.73.G63 D66 2015", RequestDate: "20250102", Type: RequestHold},
				{ID: "000000102", Barcode: "000000002", PatronID: "P0002", PatronName: "Smith, John",
					PatronEmail: "jsmith@example.com", PatronPhone: "555-0102",
					PickupLocation: "Science Library Circulation Desk", PickupCode: "SCI", SubLibrary: "MAIN",
					Title: "Peanuts", Author: "Schulz, Charles M.", CallNumber: "PN6728.P4 S3 2000",
					Description: "v.1", RequestDate: "20250103", Type: RequestPhotocopy, Pages: "1-12"},
			},
			Patrons: []Patron{
				{ID: "P0001", Name: "Müller, Anna"},
				{ID: "P0002", Name: "Smith, John"},
			},
		},
		Poster: PosterConfig{APIKey: "demo-key", Format: "xml"},
	}
}

// LoadConfig reads a YAML configuration strictly: unknown keys and bad
// values are errors naming the file and line.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load aleph config: %w", err)
	}
	var cfg Config
	doc, err := strict.Decode(path, data, &cfg)
	if err != nil {
		return Config{}, fmt.Errorf("load aleph config: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("load aleph config: %w", placed(doc, err))
	}
	return cfg, nil
}

func (c *Config) validate() error {
	for i, p := range c.Ports {
		switch {
		case p.Agency == "":
			return ferr("required (the facility's TO agency, e.g. CLIENTAGENCY)", "ports", i, "agency")
		case len(p.FromAgencies) == 0:
			return ferr("at least one FROM agency is required (e.g. CAIAAGENCY)", "ports", i, "from_agencies")
		case len(p.AllowedClients) == 0:
			return ferr("empty, so every client would be refused; add e.g. 127.0.0.0/8", "ports", i, "allowed_clients")
		}
	}
	if err := c.State.validate(); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return &fieldError{path: append([]any{"state"}, fe.path...), msg: fe.msg}
		}
		return err
	}
	switch c.Poster.Layout {
	case "", LayoutALEPH22, LayoutLegacy:
	default:
		return ferr(fmt.Sprintf("%q: want aleph22 or legacy", c.Poster.Layout), "poster", "layout")
	}
	switch c.Poster.Format {
	case "", "xml":
	case "text":
		if len(c.Poster.Text.Columns) == 0 {
			return ferr("a text layout needs columns", "poster", "text", "columns")
		}
		for i, col := range c.Poster.Text.Columns {
			if _, ok := textFields[col.Field]; !ok {
				return ferr(fmt.Sprintf("%q: want one of %s", col.Field, textFieldNames()), "poster", "text", "columns", i, "field")
			}
			if c.Poster.Text.Delimiter == "" && col.Width <= 0 {
				return ferr("a fixed-width layout (no delimiter) needs a positive width", "poster", "text", "columns", i, "width")
			}
		}
	default:
		return ferr(fmt.Sprintf("%q: want xml or text", c.Poster.Format), "poster", "format")
	}
	return nil
}

// Server is a running mock ALEPH.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	journal *journal.Journal
	faults  *faults.Set
	state   *store
	client  *http.Client

	gate    lifecycle.Gate // the HTTP listeners and the raw ports
	httpSrv *http.Server
	ports   []*rawPort

	ctx    context.Context // ends on Shutdown and Close, releasing held (no-answer) connections
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// ErrServerClosed is what Serve returns after Shutdown or Close.
var ErrServerClosed = lifecycle.ErrServerClosed

// New validates cfg and builds a mock ALEPH without listening: see Serve
// and Start.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("start aleph: %w", err)
	}
	if cfg.LoanPeriod == 0 {
		cfg.LoanPeriod = DefaultLoanPeriod
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		now:     cfg.Clock,
		journal: journal.NewLimited(journal.Limits{Max: cfg.JournalMax, MaxBytes: cfg.JournalMaxBytes}),
		faults:  faults.NewSet(cfg.FaultSeed),
		state:   newStore(cfg.State),
		client:  &http.Client{Timeout: 30 * time.Second},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	mux := routes.New()
	simapi.API{Sim: s.state, Journal: s.journal, Faults: s.faults, Target: FaultTarget()}.Register("mock ALEPH", mux)
	mux.HandleFunc("POST /ncip", s.serveNCIP)
	mux.HandleFunc("GET /ncip", s.serveNCIP)
	mux.HandleFunc("POST /_sim/post-requests", s.servePostRequests)
	s.httpSrv = cfg.HTTPTimeouts.Server(mux)
	s.httpSrv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	s.httpSrv.BaseContext = func(net.Listener) context.Context { return s.ctx }
	return s, nil
}

// Start is New followed by Server.Start: a mock ALEPH listening on every
// configured address when it returns, so a caller can connect at once.
func Start(cfg Config) (*Server, error) { return lifecycle.Started(New(cfg)) }

// Start binds the HTTP listener (Config.Listen) and every raw port
// (Config.Ports) and serves them in the background.
func (s *Server) Start() error {
	ln, err := s.gate.Listen(s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("start aleph: listen http: %w", err)
	}
	for i, pc := range s.cfg.Ports {
		pl, err := s.gate.Listen(pc.Listen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("start aleph: listen port %d (%s): %w", i, cmp.Or(pc.Listen, lifecycle.DefaultListen), err)
		}
		s.ports = append(s.ports, &rawPort{index: i, cfg: pc, ln: pl})
	}
	lifecycle.Go(&s.wg, s.log, "aleph http server stopped", func() error { return s.Serve(ln) })
	s.wg.Add(len(s.ports))
	for _, p := range s.ports {
		go func() {
			defer s.wg.Done()
			s.acceptLoop(p)
		}()
	}
	return nil
}

// Serve answers /ncip and /_sim/ on l until Shutdown or Close, and then
// returns ErrServerClosed; it closes l. The raw ports are Start's.
func (s *Server) Serve(l net.Listener) error {
	return s.gate.Serve(l, s.httpSrv.Serve)
}

// Addr is the HTTP listener's address, such as 127.0.0.1:7702.
func (s *Server) Addr() string { return s.gate.Addr() }

// URL returns the HTTP base URL, "http://127.0.0.1:port".
func (s *Server) URL() string { return "http://" + s.Addr() }

// PortAddrs returns the raw NCIP ports' bound addresses, in Config.Ports order.
func (s *Server) PortAddrs() []string {
	out := make([]string, len(s.ports))
	for i, p := range s.ports {
		out[i] = p.ln.Addr().String()
	}
	return out
}

// Journal returns the exchange journal.
func (s *Server) Journal() *journal.Journal { return s.journal }

// Faults returns the active fault set, for in-process callers that do not go through /_sim/faults.
func (s *Server) Faults() *faults.Set { return s.faults }

// Shutdown stops every listener, waits for the exchanges in hand (until ctx
// ends), then ends held connections and waits for the serving goroutines.
func (s *Server) Shutdown(ctx context.Context) error {
	s.gate.Shut()
	err := lifecycle.Closed(s.httpSrv.Shutdown(ctx))
	if err == nil {
		err = lifecycle.Wait(ctx, &s.wg)
	}
	s.cancel()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("shut down aleph: %w", err)
	}
	return nil
}

// Close stops every listener, ends held connections and waits for the
// serving goroutines.
func (s *Server) Close() error {
	s.gate.Shut()
	s.cancel()
	err := lifecycle.Closed(s.httpSrv.Close())
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("close aleph: %w", err)
	}
	return nil
}

// httpPort is the port whose settings the HTTP endpoints use: the first one.
func (s *Server) httpPort() (PortConfig, int) {
	if len(s.cfg.Ports) == 0 {
		return PortConfig{}, -1
	}
	return s.cfg.Ports[0], 0
}
