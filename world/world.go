// Package world assembles every party of a remote-storage integration on one
// machine: the facility engine with its REST API, the SFTP server wired to
// the engine's inboxes, and mock ALMA and mock ALEPH pointed at the engine.
// `annex up` starts one world with the demo configuration; the scenario
// runner starts a fresh one per scenario on ephemeral ports.
//
// The engine and the simulators still meet only over the wire: this package
// sets their addresses, and turns the SFTP server's upload events into the
// engine's "a file arrived" calls, as a real facility's SFTP server drops
// files where its system reads them.
package world

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
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/annexlab/annex/integration/api"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/internal/lifecycle"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/sftpd"
	"github.com/annexlab/annex/simulators/smtp"
)

// Options describe a world. Addresses left empty mean 127.0.0.1:0.
type Options struct {
	Facility profile.Facility
	Profiles []profile.Profile
	// ALMA and ALEPH configure the mock library systems; nil starts none.
	// When a mock runs, every profile of its system is pointed at it.
	ALMA  *alma.Config
	ALEPH *aleph.Config
	// DataDir holds the engine's store and intake directories and the SFTP accounts' roots.
	DataDir string
	// EngineListen and SFTPListen are where the facility listens; the
	// mocks' addresses are their configs' Listen.
	EngineListen string
	SFTPListen   string
	Clock        func() time.Time
	Logger       *slog.Logger
	// Ephemeral: the data directory is thrown away after the run, so the
	// engine's commits are not fsynced (see engine.Config.Ephemeral).
	Ephemeral bool
	// Reinit starts a new database in a data directory that has history
	// but no database (engine.Config.Reinit).
	Reinit bool
	// Mail configures the mail catcher; nil starts none. When it runs, the
	// facility's smtp: points at it (issue 15).
	Mail *smtp.Config
}

// World is a running set of parties.
type World struct {
	Engine *engine.Engine
	// EngineURL is the facility's base URL (the REST API is under /api).
	EngineURL string
	SFTP      *sftpd.Server
	ALMA      *alma.Server
	ALEPH     *aleph.Server
	// Mail is the mail catcher the engine's alert emails go to (nil when none runs).
	Mail *smtp.Server

	log *slog.Logger
	// serving counts the goroutines engines serve in.
	serving sync.WaitGroup
	engine  atomic.Pointer[engine.Engine]
	// engineCfg is what the engine was opened with, so RestartEngine can open it again.
	engineCfg engine.Config
}

// Start brings a world up: facility listener, SFTP server, mocks, then the
// engine, so that every address is known before anyone is told it.
func Start(ctx context.Context, o Options) (*World, error) {
	if o.DataDir == "" {
		return nil, errors.New("start world: data dir is required")
	}
	w := &World{log: cmp.Or(o.Logger, slog.New(slog.DiscardHandler))}
	started := false
	defer func() {
		// A named result would be nil here after `return nil, err`; the
		// partial world is closed through its own variable, and a failure to
		// close it is logged so the start-up error stays the one reported.
		if !started {
			if err := w.Close(); err != nil {
				w.log.Warn("start world: clean up", "err", err)
			}
		}
	}()
	// The engine's address is told to the others before the engine opens.
	ln, err := lifecycle.Listen(o.EngineListen)
	if err != nil {
		return nil, fmt.Errorf("start world: %w", listenError(PartyEngine, err, o.EngineListen))
	}
	w.EngineURL = "http://" + ln.Addr().String()
	defer func() {
		if w.Engine == nil {
			ln.Close()
		}
	}()

	if w.SFTP, err = w.startSFTP(o); err != nil {
		return nil, err
	}
	profiles := append([]profile.Profile(nil), o.Profiles...)
	if o.ALMA != nil {
		cfg := *o.ALMA
		cfg.Export.SFTPAddr = w.SFTP.Addr()
		cfg.Facility.NCIPURL = w.EngineURL + "/api/ncip"
		if cfg.Clock == nil {
			cfg.Clock = o.Clock
		}
		cfg.Logger = cmp.Or(cfg.Logger, o.Logger)
		if w.ALMA, err = alma.Start(cfg); err != nil {
			return nil, fmt.Errorf("start world: mock alma: %w", listenError(PartyALMA, err, cfg.Listen))
		}
		for i := range profiles {
			if a := profiles[i].ALMA; a != nil {
				copyALMA := *a
				copyALMA.NCIPURL = w.ALMA.NCIPURL()
				profiles[i].ALMA = &copyALMA
			}
		}
	}
	if o.ALEPH != nil {
		cfg := *o.ALEPH
		cfg.Poster.URL = w.EngineURL + "/api/requestfile/v1"
		if cfg.Clock == nil {
			cfg.Clock = o.Clock
		}
		cfg.Logger = cmp.Or(cfg.Logger, o.Logger)
		if w.ALEPH, err = aleph.Start(cfg); err != nil {
			ports := []string{}
			for _, pc := range cfg.Ports {
				ports = append(ports, pc.Listen)
			}
			err = listenError(PartyALEPH, err, cfg.Listen)
			if len(ports) > 0 {
				err = listenError(PartyALEPHPort, err, ports...)
			}
			return nil, fmt.Errorf("start world: mock aleph: %w", err)
		}
		for i := range profiles {
			if a := profiles[i].ALEPH; a != nil {
				copyALEPH := *a
				if copyALEPH.NCIPAddr != "" {
					copyALEPH.NCIPAddr = w.ALEPH.PortAddrs()[0]
				} else {
					copyALEPH.NCIPURL = w.ALEPH.URL() + "/ncip"
				}
				profiles[i].ALEPH = &copyALEPH
			}
		}
	}
	if o.Mail != nil {
		if err := w.startMail(&o); err != nil {
			return nil, err
		}
	}
	w.engineCfg = engine.Config{Facility: o.Facility, Profiles: profiles, DataDir: o.DataDir,
		Clock: o.Clock, Logger: o.Logger, Reinit: o.Reinit,
		API: func(e *engine.Engine) http.Handler { return api.ForEngine(e, o.Logger) }}
	eng, err := engine.Open(ctx, w.engineCfg)
	if err != nil {
		return nil, fmt.Errorf("start world: %w", err)
	}
	w.serve(eng, ln)
	started = true
	return w, nil
}

// serve makes eng the world's engine, serving on ln.
func (w *World) serve(eng *engine.Engine, ln net.Listener) {
	w.Engine = eng
	w.engine.Store(eng)
	lifecycle.Go(&w.serving, w.log, "engine stopped serving", func() error { return eng.Serve(ln) })
}

// startSFTP opens one account per SFTP profile, rooted where the engine
// expects its inbox (DataDir/sftp/ACCOUNT); uploads become FileArrived calls.
func (w *World) startSFTP(o Options) (*sftpd.Server, error) {
	var accounts []sftpd.Account
	for _, p := range o.Profiles {
		s := p.Intake.SFTP
		if s == nil {
			continue
		}
		acc := sftpd.Account{Name: s.Account, Password: s.Password, AuthorizedKeys: s.AuthorizedKeys,
			Root: filepath.Join(o.DataDir, "sftp", s.Account)}
		for _, n := range s.AllowedNetworks {
			pfx, err := netip.ParsePrefix(n)
			if err != nil {
				return nil, fmt.Errorf("start world: profile %s: allowed network %q: %w", p.Name, n, err)
			}
			acc.AllowedNetworks = append(acc.AllowedNetworks, pfx)
		}
		accounts = append(accounts, acc)
	}
	if len(accounts) == 0 {
		return nil, nil
	}
	// The backoff runs on real time, not o.Clock: a scenario's frozen
	// clock would never let it pass.
	b := o.Facility.SFTPLoginBackoff
	srv, err := sftpd.Start(sftpd.Config{
		Listen:      o.SFTPListen,
		HostKeyFile: filepath.Join(o.DataDir, "ssh_host_ed25519_key"),
		Accounts:    accounts,
		Logger:      o.Logger,
		LoginBackoff: sftpd.LoginBackoff{After: b.After, Delay: time.Duration(b.Delay), Max: time.Duration(b.Max),
			Forget: time.Duration(b.Forget), ReplyDelay: time.Duration(b.ReplyDelay)},
		OnUpload: func(u sftpd.Upload) {
			w.log.Info("request file arrived", "account", u.Account, "path", u.Path, "size", u.Size, "from", u.RemoteAddr)
			// Before the engine is open the file waits in the inbox for its first scan.
			if eng := w.engine.Load(); eng != nil {
				if err := eng.FileArrived(context.Background(), u.LocalPath); err != nil {
					w.log.Error("process request file", "path", u.Path, "err", err)
				}
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("start world: sftp: %w", listenError(PartySFTP, err, o.SFTPListen))
	}
	return srv, nil
}

// RestartEngine closes the engine and opens it again on the same data
// directory, as an operator restarting the facility's service would: the
// new engine listens on the old one's address, and what the store holds
// (pending NCIP messages, requests, files left claimed) is resumed by it.
// The caller must not use the old World.Engine after it returns.
func (w *World) RestartEngine(ctx context.Context) error {
	old := w.engine.Load()
	addr := old.Addr()
	if err := old.Close(); err != nil {
		return fmt.Errorf("restart engine: %w", err)
	}
	ln, err := lifecycle.Listen(addr)
	if err != nil {
		return fmt.Errorf("restart engine: %w", err)
	}
	eng, err := engine.Open(ctx, w.engineCfg)
	if err != nil {
		ln.Close()
		return fmt.Errorf("restart engine: %w", err)
	}
	w.serve(eng, ln)
	return nil
}

// Close stops every party, the facility's front doors first.
func (w *World) Close() error {
	var errs []error
	if w.SFTP != nil {
		errs = append(errs, w.SFTP.Close())
	}
	if w.Engine != nil {
		errs = append(errs, w.Engine.Close())
		w.serving.Wait()
	}
	if w.ALMA != nil {
		errs = append(errs, w.ALMA.Close())
	}
	if w.ALEPH != nil {
		errs = append(errs, w.ALEPH.Close())
	}
	if w.Mail != nil {
		errs = append(errs, w.Mail.Close())
	}
	return errors.Join(errs...)
}

// Parties whose listeners a ListenError names.
const (
	PartyEngine    = "engine"
	PartySFTP      = "sftp"
	PartyALMA      = "alma"
	PartyALEPH     = "aleph"      // mock ALEPH's HTTP listener
	PartyALEPHPort = "aleph-port" // mock ALEPH's raw NCIP port
	PartyMail      = "mail"       // the mail catcher's SMTP listener
	PartyMailAPI   = "mail-api"   // the mail catcher's inspection API
)

// ListenError reports that a party could not listen on its address (busy,
// not this machine's, not resolvable), so that `annex up` can name the
// address and the flag that moves it instead of a chain of wrappers.
type ListenError struct {
	Party string // one of the Party constants
	Addr  string // the address as configured
	Err   error  // the cause, e.g. syscall.EADDRINUSE
}

func (e *ListenError) Error() string { return e.Addr + ": " + e.Err.Error() }

func (e *ListenError) Unwrap() error { return e.Err }

// listenError turns err into a *ListenError for party when it is a failed
// listen on one of the party's addresses; any other err is returned as is.
func listenError(party string, err error, addrs ...string) error {
	var le *ListenError
	var op *net.OpError
	if errors.As(err, &le) || !errors.As(err, &op) || op.Op != "listen" {
		return err
	}
	cause := op.Err
	var sys *os.SyscallError
	if errors.As(cause, &sys) {
		cause = sys.Err // "address already in use" rather than "bind: address already in use"
	}
	for _, a := range addrs {
		a = cmp.Or(a, lifecycle.DefaultListen)
		// A host that does not resolve leaves op.Addr nil: only a party
		// with one address can own that failure.
		if op.Addr == nil && len(addrs) == 1 {
			return &ListenError{Party: party, Addr: a, Err: cause}
		}
		if op.Addr == nil {
			continue
		}
		if a == op.Addr.String() {
			return &ListenError{Party: party, Addr: a, Err: cause}
		}
		if ta, rerr := net.ResolveTCPAddr("tcp", a); rerr == nil && ta.String() == op.Addr.String() {
			return &ListenError{Party: party, Addr: a, Err: cause}
		}
	}
	return err
}

// startMail starts the mail catcher and points the facility's smtp: at it,
// with the catcher's TLS and credentials.
func (w *World) startMail(o *Options) error {
	cfg := *o.Mail
	cfg.Logger = cmp.Or(cfg.Logger, o.Logger)
	srv, err := smtp.Start(cfg)
	if err != nil {
		err = listenError(PartyMail, err, cfg.Listen)
		return fmt.Errorf("start world: mail catcher: %w", listenError(PartyMailAPI, err, cfg.APIListen))
	}
	w.Mail = srv
	host, port, _ := net.SplitHostPort(srv.Addr())
	n, _ := strconv.Atoi(port)
	s := profile.SMTP{Host: host, Port: n, Security: profile.SMTPNone}
	if f := o.Facility.SMTP; f != nil {
		s.Timeout, s.RetryInitial, s.RetryMax, s.Concurrency = f.Timeout, f.RetryInitial, f.RetryMax, f.Concurrency
	}
	if cfg.TLS {
		s.Security, s.InsecureSkipVerify = profile.SMTPStartTLS, true
	}
	s.Username, s.Password = cfg.Username, cfg.Password
	o.Facility.SMTP = &s
	return nil
}
