// Package engine is the facility's integration engine, the CaiaSoft-like
// side of a remote-storage integration (docs/design.md): it takes in the
// libraries' request files, keeps the inventory, accepts or denies each
// request, and tells the library system by NCIP when an item leaves storage
// (CheckOutItem), comes back (CheckInItem), or does not exist
// (CancelRequestItem); it answers ALMA's DeleteItem.
//
// Data flow of one request: a file lands in the profile's inbox (SFTP upload
// or REST post) → FileArrived claims it (package intake) → requestfile.Parse
// reads it → every record is translated and decided in ONE store
// transaction, together with the NCIP messages it owes (package store) →
// the outbox delivers them (package outbox) → a floor operation (Retrieve,
// Refile, Accession, MarkMissing) changes the inventory and enqueues the
// next message in the same transaction.
//
// Directories under Config.DataDir:
//
//	annex.db                               the store
//	sftp/<account>/<intake.sftp.directory> inbox of an SFTP profile (annex up roots the account at sftp/<account>)
//	inbox/<profile>                        inbox of a REST profile
//	intake/<profile>/claimed|processed|rejected
//
// The engine never imports a simulator: it meets them over the wire only.
// Nor does it import its REST API: package api serves an Engine (api.ForEngine)
// and maps the engine's errors to HTTP statuses.
package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/annexlab/annex/integration/intake"
	"github.com/annexlab/annex/integration/mailer"
	"github.com/annexlab/annex/integration/outbox"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/internal/broadcast"
	"github.com/annexlab/annex/internal/lifecycle"

	"github.com/annexlab/annex/formats/caiasoft"
)

// RescanEvery is how often the inboxes are rescanned. The rescan is only a
// safety net for a missed "file arrived" event; events are processed at once.
const RescanEvery = 3 * time.Second

// Config configures an Engine.
type Config struct {
	// Listen is the REST API's address for Start; "" means lifecycle.DefaultListen.
	Listen string
	// API builds the handler Serve and Start serve, from the opened engine
	// (api.ForEngine); nil serves nothing but 404s.
	API func(*Engine) http.Handler
	// Facility and Profiles are already loaded and validated.
	Facility profile.Facility
	Profiles []profile.Profile
	// DataDir holds the store (annex.db) and the intake directories.
	DataDir string
	// Clock gives every date in messages and records; nil means time.Now.
	Clock func() time.Time
	// HTTPClient sends NCIP over HTTP; nil means a keep-alive client sized
	// from the profiles' retry concurrency (timeouts are per attempt).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Ephemeral trades durability for speed in a throwaway data directory
	// (a scenario's world): commits are not fsynced. Never for a facility.
	Ephemeral bool
	// Reinit lets Open create a new database in a data directory that has
	// history but no database (see ErrHistoryWithoutStore).
	Reinit bool
}

// Rows the engine lists, for tests, the API and the scenario harness.
type (
	Alert      = store.Alert
	RequestRow = store.Request
	OutboxRow  = store.Message
	Item       = store.Item
)

// The engine's errors. Each error a caller could have avoided wraps one of
// ErrNotFound, ErrConflict and ErrInvalid; a transport maps those (the REST
// API to HTTP statuses), the engine knows nothing of transports.
var (
	// ErrNotFound: what the caller names does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the thing named is not in a state the operation applies to.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the caller's input is wrong (a profile, a format, a name).
	ErrInvalid = errors.New("bad request")
	// ErrNotNow: the item is not in a state the floor operation applies to.
	ErrNotNow = fmt.Errorf("not possible now (%w)", ErrConflict)
	// ErrUnknownItem: the barcode is not in the inventory.
	ErrUnknownItem = fmt.Errorf("unknown item (%w)", ErrNotFound)
	// ErrUnknownProfile: no profile of that name.
	ErrUnknownProfile = fmt.Errorf("unknown profile (%w)", ErrInvalid)
	// ErrClosed: the engine is closed.
	ErrClosed = errors.New("engine closed")
)

// Engine is an open facility engine.
type Engine struct {
	cfg      Config
	log      *slog.Logger
	clock    func() time.Time
	store    *store.Store
	profiles map[string]*profile.Profile
	order    []string // profile names in configuration order
	dirs     map[string]intake.Dirs
	locks    map[string]*sync.Mutex // one file at a time per profile
	sender   *outbox.Sender
	mailer   *mailer.Mailer // nil when no profile emails its alerts

	// held are the held_file alerts raised this run, by claimed name;
	// heldOwed those the store has not taken yet (see holdAlert).
	heldMu   sync.Mutex
	held     map[string]store.Alert
	heldOwed []string

	gate lifecycle.Gate
	http *http.Server
	bg   sync.WaitGroup // the goroutine Start serves in
	// runMu orders run and stop, which Serve and Close may call at once:
	// the workers start at most once and never after stop.
	runMu     sync.Mutex
	stopped   bool
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	closed    bool // set while holding every profile lock
}

// Open opens (or creates) the store under cfg.DataDir, seeds the inventory
// on first start, creates the intake directories and resumes files left
// claimed by a previous run. It does not listen or send: see Serve and Start.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("open engine: data dir is required")
	}
	e := &Engine{cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)), clock: cfg.Clock,
		profiles: map[string]*profile.Profile{}, dirs: map[string]intake.Dirs{}, locks: map[string]*sync.Mutex{}}
	if e.clock == nil {
		e.clock = time.Now
	}
	var lanes []outbox.Lane
	maxConc := 0
	for i := range cfg.Profiles {
		p := withDefaults(cfg.Profiles[i])
		if p.Name == "" {
			return nil, fmt.Errorf("open engine: profile %d has no name", i)
		}
		if e.profiles[p.Name] != nil {
			return nil, fmt.Errorf("open engine: profile %q is configured twice", p.Name)
		}
		switch {
		case p.System == profile.SystemALMA && p.ALMA == nil, p.System == profile.SystemALEPH && p.ALEPH == nil:
			return nil, fmt.Errorf("open engine: profile %q: system %s without its %s section", p.Name, p.System, p.System)
		case p.System != profile.SystemALMA && p.System != profile.SystemALEPH:
			return nil, fmt.Errorf("open engine: profile %q: unknown system %q", p.Name, p.System)
		}
		e.profiles[p.Name] = &p
		e.order = append(e.order, p.Name)
		e.locks[p.Name] = &sync.Mutex{}
		e.dirs[p.Name] = intake.Dirs{Inbox: e.inboxDir(&p), Root: filepath.Join(cfg.DataDir, "intake", p.Name)}
		if err := e.dirs[p.Name].Create(); err != nil {
			return nil, fmt.Errorf("open engine: %w", err)
		}
		lanes = append(lanes, outbox.Lane{Profile: p.Name, Retry: p.Retry, Reconcile: reconciler(&p)})
		maxConc = max(maxConc, p.Retry.Concurrency)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("open engine: %w", err)
	}
	if err := guardStore(cfg.DataDir, cfg.Reinit); err != nil {
		return nil, fmt.Errorf("open engine: %w", err)
	}
	st, err := store.Open(ctx, filepath.Join(cfg.DataDir, storeName), store.Options{Ephemeral: cfg.Ephemeral, OnAlert: e.mailAlert})
	if err != nil {
		return nil, fmt.Errorf("open engine: %w", err)
	}
	e.store = st
	if e.mailer, err = newMailer(cfg, e.profiles, st, e.clock, e.log); err != nil {
		st.Close()
		return nil, fmt.Errorf("open engine: %w", err)
	}
	if st.Created() {
		if err := e.seed(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("open engine: %w", err)
		}
	}
	client := cfg.HTTPClient
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = max(maxConc, 2)
		client = &http.Client{Transport: tr}
	}
	e.sender = outbox.New(outbox.Config{Store: st, Lanes: lanes, Client: client, Clock: running(cfg.Clock), Logger: e.log,
		OnOutcome: e.onOutcome})
	// The REST API is the transport's (package api imports the engine, not
	// the other way round): Config.API builds it.
	var h http.Handler = http.NotFoundHandler()
	if cfg.API != nil {
		h = cfg.API(e)
	}
	e.http = cfg.Facility.HTTPTimeouts.Server(h)
	e.http.ErrorLog = slog.NewLogLogger(e.log.Handler(), slog.LevelDebug)
	for _, name := range e.order {
		if err := e.resume(ctx, e.profiles[name]); err != nil {
			st.Close()
			return nil, fmt.Errorf("open engine: %w", err)
		}
	}
	return e, nil
}

// running is the clock the outbox stamps and schedules by: the injected
// clock plus the real time elapsed since the engine opened. A test's or a
// scenario's clock is frozen (every date in messages fixed, for goldens);
// by it, a backed-off retry would never fall due.
func running(clock func() time.Time) func() time.Time {
	if clock == nil {
		return time.Now
	}
	opened := time.Now()
	return func() time.Time { return clock().Add(time.Since(opened)) }
}

// withDefaults fills what a profile may leave out.
func withDefaults(p profile.Profile) profile.Profile {
	p.Retry = outbox.Defaults(p.Retry)
	if p.ALMA != nil {
		a := *p.ALMA
		a.CancelRequestType = cmp.Or(a.CancelRequestType, "Hold")
		p.ALMA = &a
	}
	if p.Intake.Format == "" {
		switch p.System {
		case profile.SystemALMA:
			p.Intake.Format = profile.FormatRSExport
		case profile.SystemALEPH:
			p.Intake.Format = profile.FormatALEPHPrint
		}
	}
	return p
}

// seed loads the facility's inventory at first start.
func (e *Engine) seed(ctx context.Context) error {
	now := e.clock()
	return e.store.Tx(ctx, func(tx *store.Tx) error {
		for _, it := range e.cfg.Facility.Inventory {
			p := e.profiles[it.Profile]
			if p == nil {
				return fmt.Errorf("seed inventory: item %s: %w %q", it.Barcode, ErrUnknownProfile, it.Profile)
			}
			err := tx.PutItem(store.Item{Barcode: it.Barcode, Profile: it.Profile, Collection: it.Collection,
				Material: it.Material, Tray: it.Tray, Library: libraryOf(p, it.Collection), Status: caiasoft.StatusAtRest,
				Title: it.Title, Author: it.Author, Volume: it.Volume, CallNumber: it.CallNumber, ISBN: it.ISBN, ISSN: it.ISSN,
				LCCN: it.LCCN, OCLC: it.OCLC, Updated: now})
			if err != nil {
				return fmt.Errorf("seed inventory: %w", err)
			}
		}
		return nil
	})
}

// libraryOf finds the library code a facility collection comes from, by
// reading the profile's collection table backwards ("MAIN/ANNEX" → MAIN).
// It picks the first key in sorted order, so the answer is deterministic.
func libraryOf(p *profile.Profile, collection string) string {
	for _, k := range slices.Sorted(maps.Keys(p.Translation.Collections)) {
		if lib, _ := p.Translation.CollectionKey(k); lib != "" && p.Translation.Collections[k] == collection {
			return lib
		}
	}
	return ""
}

func (e *Engine) inboxDir(p *profile.Profile) string {
	if s := p.Intake.SFTP; s != nil && s.Account != "" {
		return filepath.Join(e.cfg.DataDir, "sftp", s.Account, filepath.FromSlash(s.Directory))
	}
	return filepath.Join(e.cfg.DataDir, "inbox", p.Name)
}

// InboxDir is where a profile's request files must land ("" for an unknown profile).
func (e *Engine) InboxDir(profileName string) string {
	return e.dirs[profileName].Inbox
}

// Keys are the API keys the facility's REST API accepts: the facility's,
// and each profile's intake key (profile → key; a profile without one is
// left out).
func (e *Engine) Keys() (facility string, profiles map[string]string) {
	profiles = map[string]string{}
	for _, name := range e.order {
		if k := e.profiles[name].Intake.APIKey; k != "" {
			profiles[name] = k
		}
	}
	return e.cfg.Facility.APIKey, profiles
}

// ProfileNames lists the profiles in configuration order.
func (e *Engine) ProfileNames() []string { return slices.Clone(e.order) }

// run starts the outbox sender, the mailer and the inbox rescan, once.
// They stop on Shutdown or Close.
func (e *Engine) run() {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.stopped || e.cancel != nil {
		return
	}
	var ctx context.Context
	ctx, e.cancel = context.WithCancel(context.Background())
	e.sender.Start(ctx)
	if e.mailer != nil {
		e.mailer.Start(ctx)
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.rescanLoop(ctx)
	}()
}

func (e *Engine) rescanLoop(ctx context.Context) {
	t := time.NewTicker(RescanEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, name := range e.order {
				if err := e.scan(ctx, e.profiles[name]); err != nil && ctx.Err() == nil {
					e.log.Error("rescan", "profile", name, "err", err)
				}
			}
		}
	}
}

// Close stops serving at once, stops the workers, waits for them and
// closes the store.
func (e *Engine) Close() error {
	e.gate.Shut()
	herr := lifecycle.Closed(e.http.Close())
	e.bg.Wait()
	return errors.Join(herr, e.stop())
}

// stop ends the workers, waits for them and closes the store, once.
func (e *Engine) stop() error {
	e.closeOnce.Do(func() {
		e.runMu.Lock()
		e.stopped = true
		if e.cancel != nil {
			e.cancel()
		}
		e.runMu.Unlock()
		e.sender.Close()
		if e.mailer != nil {
			e.mailer.Close()
		}
		e.wg.Wait()
		// A file being processed holds its profile's lock; wait for it.
		for _, name := range e.order {
			e.locks[name].Lock()
		}
		e.closed = true
		e.closeErr = e.store.Close()
		for _, name := range e.order {
			e.locks[name].Unlock()
		}
	})
	return e.closeErr
}

// WaitIdle blocks until no message waits in the outbox (every one is
// delivered or failed) or ctx ends. Tests wait on it instead of sleeping.
func (e *Engine) WaitIdle(ctx context.Context) error {
	return waitNoneOwed(ctx, e.sender.Changed, e.store.AnyPending, "wait idle", "messages still pending")
}

// waitNoneOwed waits until owed reports nothing, checking again at each
// event changed announces; op names the wait in its errors, and still
// what was still owed when ctx ended.
func waitNoneOwed(ctx context.Context, changed func() <-chan struct{}, owed func(context.Context) (bool, error), op, still string) error {
	pending := false
	err := broadcast.Until(ctx, changed, func() (done bool, err error) {
		pending, err = owed(ctx)
		return !pending, err
	})
	if err != nil && pending {
		return fmt.Errorf("%s: %s: %w", op, still, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Alerts lists alerts, oldest first.
func (e *Engine) Alerts(ctx context.Context) ([]Alert, error) { return e.store.Alerts(ctx) }

// Requests lists requests, oldest first.
func (e *Engine) Requests(ctx context.Context) ([]RequestRow, error) { return e.store.Requests(ctx) }

// Outbox lists the outbox, oldest first.
func (e *Engine) Outbox(ctx context.Context) ([]OutboxRow, error) { return e.store.Messages(ctx) }

// Items lists the inventory.
func (e *Engine) Items(ctx context.Context) ([]Item, error) { return e.store.Items(ctx) }

// Files lists the claimed files and what became of them.
func (e *Engine) Files(ctx context.Context) ([]store.File, error) { return e.store.Files(ctx) }
