// Package alma is a mock Ex Libris ALMA for remote-storage integrations
// (docs/libraries.md, ALMA): an NCIP 2 responder at /view/NCIPServlet that answers
// CheckInItem, CheckOutItem, CancelRequestItem and LookupItem with ALMA's
// state changes, Problems and reply style; the "Send Requests to Remote
// Storage" job, which writes the pending requests as an rsExport XML file
// and uploads it as an SFTP client; and the DeleteItem initiator. Next to
// them it serves the /_sim/ inspection API (package simapi).
//
// Like httptest, Start listens on the configured address (127.0.0.1:0 by
// default) before it returns, so a test can use URL at once.
package alma

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/internal/httpserve"
	"github.com/annexlab/annex/internal/lifecycle"
	"github.com/annexlab/annex/internal/routes"
	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/simulators/faults"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/simapi"
)

// NCIPPath is where ALMA serves NCIP.
const NCIPPath = "/view/NCIPServlet"

// MaxBody caps an NCIP request body, as ALMA's servlet caps what it reads.
const MaxBody = 1 << 20

// DefaultLoanDays is the loan period of a check-out without DesiredDateDue.
const DefaultLoanDays = 28

// Config configures a mock ALMA. The zero value plus a State is usable.
type Config struct {
	// Listen is the address to listen on; "" means 127.0.0.1:0.
	Listen string `yaml:"listen"`
	// Strict makes every conformance Error finding of a request a
	// conformance failure in the journal. The reply is still what ALMA would send.
	Strict bool `yaml:"strict"`
	// Agencies are the partner agencies accepted as FromAgencyId. The
	// institution code is always accepted too, since public clients put it
	// in both FromAgencyId and ToAgencyId (docs/libraries.md, ALMA).
	Agencies []string `yaml:"agencies"`
	// LoanDays is the loan period when a CheckOutItem has no DesiredDateDue; 0 means DefaultLoanDays.
	LoanDays int `yaml:"loan_days"`
	// State is the initial state; POST /_sim/reset returns to it.
	State State `yaml:"state"`
	// Export configures the request-export job.
	Export ExportConfig `yaml:"export"`
	// Facility is where DeleteItem is sent.
	Facility FacilityConfig `yaml:"facility"`
	// Faults are installed at start, as if POSTed to /_sim/faults.
	Faults []faults.Fault `yaml:"faults"`
	// FaultSeed seeds probabilistic faults, so a run can be repeated.
	FaultSeed uint64 `yaml:"fault_seed"`
	// JournalMax bounds the journal; 0 means journal.DefaultMax.
	JournalMax int `yaml:"journal_max"`
	// JournalMaxBytes bounds the journal's accounted size; 0 means journal.DefaultMaxBytes.
	JournalMaxBytes int64 `yaml:"journal_max_bytes"`
	// HTTPTimeouts bound the HTTP listener (NCIP and /_sim/); zero fields take httpserve's defaults.
	HTTPTimeouts httpserve.Timeouts `yaml:"http_timeouts"`

	// Clock gives the time for due dates and export file names; nil means time.Now.
	Clock func() time.Time `yaml:"-"`
	// Logger receives the server's log; nil means slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// FacilityConfig is the facility's NCIP responder, the receiver of DeleteItem.
type FacilityConfig struct {
	// NCIPURL is the facility's NCIP endpoint.
	NCIPURL string `yaml:"ncip_url"`
	// AgencyId is the facility's agency, the ToAgencyId of DeleteItem.
	AgencyId string `yaml:"agency_id"`
	// Timeout bounds one DeleteItem exchange; 0 means 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// DemoConfig returns the demo configuration `annex up` starts with:
// institution 01ANNEX_INST ("Annex University"), partner agency CAIASOFT,
// integration profile ANNEX, libraries MAIN ("Main Library") and LAW ("Law
// Library"), each with locations STACKS and ANNEX (remote storage) and desk
// CIRC, MAIN also with the digitization desk DIGI ("Digitization Department
// For Institution"), the facility's check-out user ANNEX-USER, items
// 39015000000001..3 in MAIN/ANNEX and 39015000000004 in LAW/ANNEX and two pending PATRON_PHYSICAL requests. The export
// uploads to SFTP account "alma" with password "alma-demo" — demo-only
// credentials, never to be used for a real server — into
// 01ANNEX_INST/requests from 127.0.0.1; the caller sets Export.SFTPAddr.
func DemoConfig() Config {
	return Config{
		Agencies: []string{"CAIASOFT"},
		State: State{
			Institution:     "01ANNEX_INST",
			InstitutionName: "Annex University",
			Profiles:        []Profile{{Code: "ANNEX", Locations: []LocationRef{{Library: "MAIN", Location: "ANNEX"}, {Library: "LAW", Location: "ANNEX"}}}},
			Libraries: []Library{{
				Code:      "MAIN",
				Name:      "Main Library",
				Locations: []Location{{Code: "STACKS"}, {Code: "ANNEX", RemoteStorage: true}},
				Desks:     []Desk{{Code: "CIRC", Name: "Main Library Circulation Desk"}, {Code: "DIGI", Name: "Digitization Department For Institution"}},
			}, {
				Code:      "LAW",
				Name:      "Law Library",
				Locations: []Location{{Code: "STACKS"}, {Code: "ANNEX", RemoteStorage: true}},
				Desks:     []Desk{{Code: "CIRC", Name: "Law Library Circulation Desk"}},
			}},
			Users: []User{{ID: "ANNEX-USER"}, {ID: "P000123"}, {ID: "P000456"}},
			Items: []Item{
				{Barcode: "39015000000001", Library: "MAIN", Location: "ANNEX", MaterialType: "BOOK", MMSID: "991000000000101", ItemID: "231000000000101",
					Title: "The Annotated Remote Storage", Author: "Reader, Ada", CallNumber: "Z675.S8 R46 2019", CallNumberType: "0", Status: StatusRequested},
				{Barcode: "39015000000002", Library: "MAIN", Location: "ANNEX", MaterialType: "BOOK", MMSID: "991000000000201", ItemID: "231000000000201",
					Title: "Warehouses of Knowledge", Author: "Borrower, Brian", CallNumber: "Z679 .B67 2004", CallNumberType: "0", Status: StatusRequested},
				{Barcode: "39015000000003", Library: "MAIN", Location: "ANNEX", MaterialType: "BOOK", MMSID: "991000000000301", ItemID: "231000000000301",
					Title: "A History of Shelving", Author: "Shelver, Sam", CallNumber: "Z675.A2 S54 1998", CallNumberType: "0", Status: StatusInPlace},
				{Barcode: "39015000000004", Library: "LAW", Location: "ANNEX", MaterialType: "BOOK", MMSID: "991000000000401", ItemID: "231000000000401",
					Title: "Law of Libraries", Author: "Counsel, Lee", CallNumber: "KF4315 .C68 2011", CallNumberType: "0", Status: StatusInPlace},
			},
			Requests: []Request{
				{ID: "REQ-1", Type: rsexport.TypePatronPhysical, Barcode: "39015000000001", MMSID: "991000000000101", PickupLibrary: "MAIN", PickupLocation: "CIRC",
					Patron: Patron{Name: "Ada Reader", Identifier: "P000123", Email: "ada@example.org"}, Description: "v.1", Step: StepPending},
				{ID: "REQ-2", Type: rsexport.TypePatronPhysical, Barcode: "39015000000002", MMSID: "991000000000201", PickupLibrary: "MAIN", PickupLocation: "CIRC",
					Patron: Patron{Name: "Brian Borrower", Identifier: "P000456", Email: "brian@example.org"}, Note: "please hold until Friday", Step: StepPending},
			},
		},
		Export: ExportConfig{
			User:       "alma",
			Password:   "alma-demo",
			SourceAddr: "127.0.0.1",
			Dir:        "01ANNEX_INST/requests",
		},
		Facility: FacilityConfig{AgencyId: "CAIASOFT"},
	}
}

// LoadConfig reads a YAML configuration. Unknown keys and invalid state
// are errors that carry FILE:LINE.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load alma config: %w", err)
	}
	return parseConfig(path, data)
}

func parseConfig(file string, data []byte) (Config, error) {
	var cfg Config
	doc, err := strict.Decode(file, data, &cfg)
	if err != nil {
		return Config{}, fmt.Errorf("load alma config: %w", err)
	}
	cfg.State.normalise()
	// The state's messages name its fields as a state file would.
	if err := cfg.State.validate(doc.Sub("state")); err != nil {
		return Config{}, fmt.Errorf("load alma config: %w", err)
	}
	if err := cfg.Export.validate(); err != nil {
		return Config{}, fmt.Errorf("load alma config: %w", doc.Errorf([]any{"export", "shape"}, "%v", err))
	}
	for i, f := range cfg.Faults {
		err := f.Validate()
		if err == nil {
			err = FaultTarget().Check(f.Service)
		}
		if err != nil {
			return Config{}, fmt.Errorf("load alma config: %w", doc.Errorf([]any{"faults", i}, "%v", err))
		}
	}
	return cfg, nil
}

// Server is a running mock ALMA.
type Server struct {
	cfg     Config
	log     *slog.Logger
	clock   func() time.Time
	gate    lifecycle.Gate
	srv     *http.Server
	journal *journal.Journal
	faults  *faults.Set
	handler http.Handler
	// client sends DeleteItem; its own, so tests' transports never interfere.
	client *http.Client

	mu    sync.Mutex
	world *world

	exportMu sync.Mutex // one export at a time, as ALMA runs one job per profile

	stop context.CancelFunc
	ctx  context.Context
	wg   sync.WaitGroup
}

// ErrServerClosed is what Serve returns after Shutdown or Close.
var ErrServerClosed = lifecycle.ErrServerClosed

// New builds a mock ALMA from cfg without listening: see Serve and Start.
// The export schedule (Config.Export.Every) runs from here until Shutdown
// or Close.
func New(cfg Config) (*Server, error) {
	cfg.State.normalise()
	if err := cfg.State.validate(nil); err != nil {
		return nil, fmt.Errorf("start alma: invalid state: %w", err)
	}
	if err := cfg.Export.validate(); err != nil {
		return nil, fmt.Errorf("start alma: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		log:     cmp.Or(cfg.Logger, slog.Default()),
		clock:   cfg.Clock,
		journal: journal.NewLimited(journal.Limits{Max: cfg.JournalMax, MaxBytes: cfg.JournalMaxBytes}),
		faults:  faults.NewSet(cfg.FaultSeed),
		world:   newWorld(cfg.State.clone()),
		client:  &http.Client{},
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.log = s.log.With("sim", "alma")
	for _, f := range cfg.Faults {
		if _, err := s.faults.Add(f); err != nil {
			return nil, fmt.Errorf("start alma: %w", err)
		}
	}
	mux := routes.New()
	mux.HandleFunc("POST "+NCIPPath, s.serveNCIP)
	mux.HandleFunc("POST /_sim/export", s.serveExport)
	mux.HandleFunc("POST /_sim/items/{barcode}/delete", s.serveDeleteItem)
	simapi.API{Sim: s, Journal: s.journal, Faults: s.faults, Target: FaultTarget()}.Register("mock ALMA", mux)
	s.handler = mux
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.srv = cfg.HTTPTimeouts.Server(mux)
	s.srv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	s.srv.BaseContext = func(net.Listener) context.Context { return s.ctx }
	if every := cfg.Export.Every; every > 0 {
		s.wg.Add(1)
		go s.exportLoop(every)
	}
	return s, nil
}

// Start is New followed by Server.Start: a mock ALMA listening on
// cfg.Listen when it returns.
func Start(cfg Config) (*Server, error) { return lifecycle.Started(New(cfg)) }

// Start listens on Config.Listen (lifecycle.DefaultListen when empty) and
// serves in the background; a client may connect once it returns.
func (s *Server) Start() error {
	if err := s.gate.Start(s.cfg.Listen, &s.wg, s.log, "serve", s.Serve); err != nil {
		return fmt.Errorf("start alma: %w", err)
	}
	return nil
}

// Serve answers NCIP and /_sim/ on l until Shutdown or Close, and then
// returns ErrServerClosed; it closes l.
func (s *Server) Serve(l net.Listener) error {
	return s.gate.Serve(l, s.srv.Serve)
}

// Addr is the address of the first listener served, such as 127.0.0.1:7701.
func (s *Server) Addr() string { return s.gate.Addr() }

// URL is the server's base URL, such as http://127.0.0.1:7701.
func (s *Server) URL() string { return "http://" + s.Addr() }

// NCIPURL is the NCIP endpoint the facility is configured with.
func (s *Server) NCIPURL() string { return s.URL() + NCIPPath }

// Journal is the exchange journal.
func (s *Server) Journal() *journal.Journal { return s.journal }

// Handler is the server's HTTP handler, for in-process use without a socket.
func (s *Server) Handler() http.Handler { return s.handler }

// Shutdown stops listening, waits for the requests in hand (until ctx
// ends), then ends waiting requests (a no-answer fault) and the export
// schedule.
func (s *Server) Shutdown(ctx context.Context) error {
	s.gate.Shut()
	err := lifecycle.Closed(s.srv.Shutdown(ctx))
	s.stop()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("shut down alma: %w", err)
	}
	return nil
}

// Close stops serving at once, ends waiting requests (a no-answer fault)
// and the export schedule, and waits for them.
func (s *Server) Close() error {
	s.gate.Shut()
	s.stop()
	err := lifecycle.Closed(s.srv.Close())
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("close alma: %w", err)
	}
	return nil
}

// Snapshot returns a copy of the state (simapi.Simulator).
func (s *Server) Snapshot() any { return s.State() }

// State returns a copy of the current state.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.world.st.clone()
}

// LoadState replaces the state with a YAML or JSON document (simapi.Simulator).
func (s *Server) LoadState(data []byte) error {
	st, err := ParseState(data)
	if err != nil {
		return err
	}
	s.SetState(st)
	return nil
}

// SetState replaces the state; the caller validates it (ParseState does).
func (s *Server) SetState(st State) {
	st.normalise()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world = newWorld(st.clone())
}

// ResetState returns to the configured initial state (simapi.Simulator).
func (s *Server) ResetState() { s.SetState(s.cfg.State) }
