// Package sftpd is the facility's SFTP front door: an in-process SFTP server
// that accepts only configured accounts (password and/or public key) from
// allowed networks, jails every account in its own directory, refuses shells,
// commands and forwarding, and reports every finished upload as an event.
//
// It is shaped like net/http.Server and httptest (package lifecycle): New
// builds, Serve serves a listener, Start listens on Config.Listen before it
// returns, so a client may connect at once, Shutdown waits for the sessions
// in hand and Close stops everything and waits for the handlers.
//
// Uploads are written to a hidden temporary name (".name.partial-<random>")
// next to their final name and renamed when the client closes the handle, so
// a reader of the account's directory never sees a half-written file, and an
// upload whose connection drops leaves nothing behind. Only that close
// produces an Upload event: renaming a file within the jail does
// not. Files are not fsynced before the rename (neither does OpenSSH's
// sftp-server); the event means "complete", not "on stable storage".
package sftpd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/internal/lifecycle"
)

// DefaultMaxFileSize is the size cap of one uploaded file when
// Config.MaxFileSize is zero.
const DefaultMaxFileSize int64 = 256 << 20

// DefaultMaxNameLength is the longest file name (bytes) an upload may have
// when Config.MaxNameLength is 0: room is left within the file system's 255
// bytes for the name the receiving side gives the file (the engine adds a
// claim time), so a name accepted here can always be claimed there.
const DefaultMaxNameLength = 200

// loginGraceTime bounds how long a connection may take to log in (as
// OpenSSH's LoginGraceTime), so silent or stalled clients cannot pile up.
const loginGraceTime = 2 * time.Minute

// auditLimit bounds the in-memory audit log; older entries are dropped.
const auditLimit = 10000

// Account is one SFTP login.
type Account struct {
	Name            string
	Password        string         // "" disables password login for the account
	AuthorizedKeys  []string       // authorized_keys lines ("ssh-ed25519 AAAA… comment"); empty disables key login
	AllowedNetworks []netip.Prefix // source addresses allowed to log in; empty means any address
	Root            string         // the directory the account is jailed in; created if missing
}

// Config configures a Server. Only Accounts is required.
type Config struct {
	Listen      string    // listen address; "" means lifecycle.DefaultListen
	HostKeyFile string    // PEM private key; generated (ed25519) and written there once if missing; "" = ephemeral key
	Accounts    []Account // at least one
	// OnUpload is called once for every file closed after writing, after it
	// has its final name. It runs synchronously in the client's request
	// path: the client's close waits for it, so a slow handler slows that
	// client (and Close waits for it too). Until it returns, another upload
	// of the same name waits before taking that name, so a handler that
	// moves the file away (claims it) never finds it replaced.
	OnUpload    func(Upload)
	Logger      *slog.Logger // nil = discard
	MaxFileSize int64        // per-file size cap in bytes; 0 means DefaultMaxFileSize
	// LoginBackoff slows down repeated password failures; the zero value is the default.
	LoginBackoff LoginBackoff
	// Clock times LoginBackoff; nil means time.Now.
	Clock func() time.Time
	// MaxNameLength caps the name (bytes) of an uploaded file; a longer
	// one is refused at open. 0 means DefaultMaxNameLength.
	MaxNameLength int
}

// Upload is the event for a finished upload.
type Upload struct {
	Account    string
	Path       string // slash path inside the account's root, e.g. "requests/file.xml"
	LocalPath  string // absolute path on disk
	Size       int64
	RemoteAddr string
	Time       time.Time
}

// Server is a running SFTP server. Create it with Start and stop it with Close.
type Server struct {
	log      *slog.Logger
	onUpload func(Upload)
	maxSize  int64
	maxName  int
	// loginGrace is how long a connection may take to log in.
	loginGrace time.Duration
	accounts   map[string]*account
	limit      *limiter
	signer     gossh.Signer
	gate       lifecycle.Gate
	listen     string
	ssh        *gliderssh.Server
	done       chan struct{} // closed by Close

	doneOnce   sync.Once
	closedOnce atomic.Bool // the "closed" log line is written once

	mu     sync.Mutex
	closed bool
	conns  map[*trackedConn]struct{}
	// announcing holds, per local path, a channel closed when the last
	// upload to take that name has been announced (OnUpload returned).
	announcing map[string]chan struct{}
	// wg counts the accept loops and every connection until the connection
	// and all its sessions have finished; Add happens only under mu while
	// !closed, so Close can Wait safely.
	wg sync.WaitGroup
	// bg counts the goroutine Start serves in.
	bg sync.WaitGroup

	audit auditLog
}

// ErrServerClosed is what Serve returns after Shutdown or Close.
var ErrServerClosed = lifecycle.ErrServerClosed

// New validates cfg and builds a server without listening: see Serve and Start.
func New(cfg Config) (*Server, error) {
	return newServer(cfg, loginGraceTime)
}

// Start is New followed by Server.Start: a server accepting connections on
// cfg.Listen when it returns.
func Start(cfg Config) (*Server, error) {
	return start(cfg, loginGraceTime)
}

func start(cfg Config, loginGrace time.Duration) (*Server, error) {
	return lifecycle.Started(newServer(cfg, loginGrace))
}

func newServer(cfg Config, loginGrace time.Duration) (*Server, error) {
	s := &Server{
		loginGrace: loginGrace,
		log:        cfg.Logger,
		listen:     cfg.Listen,
		onUpload:   cfg.OnUpload,
		maxSize:    cfg.MaxFileSize,
		maxName:    cmp.Or(cfg.MaxNameLength, DefaultMaxNameLength),
		announcing: make(map[string]chan struct{}),
		done:       make(chan struct{}),
		conns:      make(map[*trackedConn]struct{}),
		limit:      newLimiter(cfg.LoginBackoff, cfg.Clock),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.audit.init(auditLimit)
	if s.maxSize < 0 {
		return nil, fmt.Errorf("sftpd: max file size %d is negative", s.maxSize)
	}
	if s.maxSize == 0 {
		s.maxSize = DefaultMaxFileSize
	}
	accounts, err := loadAccounts(cfg.Accounts)
	if err != nil {
		return nil, fmt.Errorf("sftpd: %w", err)
	}
	s.accounts = accounts
	s.signer, err = loadHostKey(cfg.HostKeyFile)
	if err != nil {
		return nil, fmt.Errorf("sftpd: %w", err)
	}
	s.ssh = s.newSSHServer()
	return s, nil
}

// Start listens on Config.Listen and serves in the background.
func (s *Server) Start() error {
	if err := s.gate.Start(s.listen, &s.bg, s.log, "sftp serve", s.Serve); err != nil {
		return fmt.Errorf("sftpd: listen: %w", err)
	}
	return nil
}

// Serve accepts SSH connections on l until Shutdown or Close, and then
// returns ErrServerClosed; it closes l.
func (s *Server) Serve(l net.Listener) error {
	return s.gate.Serve(l, func(l net.Listener) error {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return ErrServerClosed
		}
		s.wg.Add(1)
		s.mu.Unlock()
		s.log.Info("sftp server listening", "addr", l.Addr().String(), "accounts", len(s.accounts))
		return s.acceptLoop(l)
	})
}

// Addr returns the host:port of the first listener served.
func (s *Server) Addr() string { return s.gate.Addr() }

// HostKey returns the server's public host key, for clients' known_hosts
// (e.g. ssh.FixedHostKey(s.HostKey())).
func (s *Server) HostKey() gossh.PublicKey { return s.signer.PublicKey() }

// Audit returns a copy of the session audit log, oldest first. It keeps the
// last 10,000 entries.
func (s *Server) Audit() []AuditEntry { return s.audit.entries() }

// Shutdown stops listening and waits for the connections in hand to end
// (an SFTP client holds its connection until it logs out); when ctx ends
// first, it closes them as Close does and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.gate.Shut()
	err := lifecycle.Wait(ctx, &s.wg)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sftpd: shut down: %w", err)
	}
	return nil
}

// Close stops listening, closes every connection (aborting uploads in
// progress, whose partial files are removed) and waits for all handlers,
// including OnUpload calls in progress, to return. It is safe to call more
// than once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.gate.Shut()
	s.doneOnce.Do(func() { close(s.done) })
	for _, c := range conns {
		_ = c.Close()
	}
	s.wg.Wait()
	s.bg.Wait()
	if s.closedOnce.CompareAndSwap(false, true) {
		s.log.Info("sftp server closed", "addr", s.Addr())
	}
	return nil
}

// acceptLoop hands every accepted connection to gliderlabs' HandleConn; it
// runs its own loop (rather than gliderssh.Server.Serve) so every connection
// is tracked from the moment it is accepted and Close can wait for it.
func (s *Server) acceptLoop(l net.Listener) error {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.gate.IsShut() {
				return fmt.Errorf("sftpd: accept: %w", err)
			}
			// Out of file descriptors and the like: back off instead of
			// spinning, but stay interruptible by Close.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("sftp accept failed", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-s.done:
				t.Stop()
				return ErrServerClosed
			case <-t.C:
			}
			continue
		}
		backoff = 0
		tc := &trackedConn{Conn: c}
		tc.st = &connState{s: s, tc: tc, refs: 1, remote: c.RemoteAddr().String()}
		// A timer, not a deadline: gliderlabs resets deadlines on every read.
		tc.st.grace = time.AfterFunc(s.loginGrace, func() {
			if tc.st.user() == "" {
				s.log.Info("sftp login grace time over", "remote", tc.st.remote)
				_ = tc.Close()
			}
		})
		if !s.track(tc) {
			tc.st.grace.Stop()
			_ = c.Close()
			return ErrServerClosed
		}
		go func() {
			defer tc.st.release()
			s.ssh.HandleConn(tc)
		}()
	}
}

// track registers a new connection; false once the server is closed.
func (s *Server) track(tc *trackedConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[tc] = struct{}{}
	s.wg.Add(1)
	return true
}

// connFinished runs once per connection, after the connection and every
// session on it have finished.
func (s *Server) connFinished(tc *trackedConn) {
	st := tc.st
	st.grace.Stop()
	s.record(AuditEntry{Account: st.user(), RemoteAddr: st.remote, Event: EventDisconnect})
	s.mu.Lock()
	delete(s.conns, tc)
	s.mu.Unlock()
	s.wg.Done()
}

// trackedConn carries the per-connection state into gliderlabs' context
// (through ConnCallback).
type trackedConn struct {
	net.Conn
	st *connState
}

// connState is what the server knows about one TCP connection.
type connState struct {
	s      *Server
	tc     *trackedConn
	remote string

	grace *time.Timer // closes the connection unless it logs in in time

	mu      sync.Mutex
	refs    int    // the connection handler plus every running session handler
	account string // set once a login succeeded
}

// acquire takes a reference for a session handler; false when the
// connection has already finished, in which case there is nothing to serve.
func (st *connState) acquire() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.refs == 0 {
		return false
	}
	st.refs++
	return true
}

func (st *connState) release() {
	st.mu.Lock()
	st.refs--
	last := st.refs == 0
	st.mu.Unlock()
	if last {
		st.s.connFinished(st.tc)
	}
}

func (st *connState) setUser(name string) {
	st.mu.Lock()
	st.account = name
	st.mu.Unlock()
}

func (st *connState) user() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.account
}
