// Package smtp is the facility's mail catcher (in the spirit of Mailpit):
// an in-process SMTP server, on github.com/emersion/go-smtp, that accepts
// the engine's alert emails (for configured domains, or any), optionally
// with AUTH PLAIN and STARTTLS on a generated certificate, caps a message's
// size, and keeps the latest messages raw in a journal bounded by count and
// bytes. Next to it an HTTP inspection API under /_sim/mail lists, shows
// (raw or as parsed parts) and deletes messages, and injects faults: a 4xx
// or 5xx reply, a dropped connection, a delay (see Fault).
//
// Its lifecycle is net/http.Server's and httptest's (package lifecycle):
// New builds, Serve and ServeAPI serve listeners the caller made, Start
// listens on both configured addresses (127.0.0.1:0 by default) before it
// returns, Shutdown waits for the sessions in hand, Close stops at once.
package smtp

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/annexlab/annex/internal/httpserve"
	"github.com/annexlab/annex/internal/lifecycle"
)

// Defaults.
const (
	DefaultMaxMessageBytes = 10 << 20
	DefaultJournalMax      = 10_000
	DefaultJournalMaxBytes = 64 << 20
	// DefaultListen is where `annex up` runs the catcher.
	DefaultListen = "127.0.0.1:2525"
)

// Config configures the catcher. The zero value accepts any mail without
// AUTH or TLS on 127.0.0.1:0.
type Config struct {
	// Listen is the SMTP address; APIListen the inspection API's ("" means 127.0.0.1:0 each).
	Listen    string `yaml:"listen" json:"listen,omitempty"`
	APIListen string `yaml:"api_listen" json:"api_listen,omitempty"`
	// Domains are the recipient domains accepted; empty accepts any.
	Domains []string `yaml:"domains" json:"domains,omitempty"`
	// Username and Password, when set, require AUTH PLAIN (after STARTTLS when TLS is on).
	Username string `yaml:"username" json:"username,omitempty"`
	Password string `yaml:"password" json:"-"`
	// TLS offers STARTTLS with a certificate generated at start.
	TLS bool `yaml:"tls" json:"tls,omitempty"`
	// MaxMessageBytes caps one message (default 10 MiB).
	MaxMessageBytes int64 `yaml:"max_message_bytes" json:"max_message_bytes,omitempty"`
	// JournalMax and JournalMaxBytes bound the journal (defaults 10,000 messages, 64 MiB).
	JournalMax      int   `yaml:"journal_max" json:"journal_max,omitempty"`
	JournalMaxBytes int64 `yaml:"journal_max_bytes" json:"journal_max_bytes,omitempty"`
	// IgnoreDuplicateIDs takes a message whose Message-ID the journal
	// already holds (250) without keeping it again, as Mailpit's
	// --ignore-duplicate-ids does; /_sim/state counts them.
	IgnoreDuplicateIDs bool `yaml:"ignore_duplicate_ids" json:"ignore_duplicate_ids,omitempty"`
	// Faults are installed at start, as if POSTed to /_sim/faults.
	Faults    []Fault `yaml:"faults" json:"faults,omitempty"`
	FaultSeed uint64  `yaml:"fault_seed" json:"fault_seed,omitempty"`
	// HTTPTimeouts bound the API listener.
	HTTPTimeouts httpserve.Timeouts `yaml:"http_timeouts" json:"-"`

	Logger *slog.Logger `yaml:"-" json:"-"`
}

// Server is a running catcher.
type Server struct {
	cfg     Config
	log     *slog.Logger
	smtp    *gosmtp.Server
	smtpG   lifecycle.Gate // the SMTP listeners
	http    *http.Server
	apiG    lifecycle.Gate // the inspection API's listeners
	journal *journal
	faults  faultSet
	bg      sync.WaitGroup // the goroutines Start serves in

	// counters, for /_sim/state
	accepted, refused, dropped atomic.Int64
}

// ErrServerClosed is what Serve and ServeAPI return after Shutdown or Close.
var ErrServerClosed = lifecycle.ErrServerClosed

// New validates cfg and builds a catcher without listening: see Serve,
// ServeAPI and Start.
func New(cfg Config) (*Server, error) {
	cfg.MaxMessageBytes = cmp.Or(cfg.MaxMessageBytes, DefaultMaxMessageBytes)
	cfg.JournalMax = cmp.Or(cfg.JournalMax, DefaultJournalMax)
	cfg.JournalMaxBytes = cmp.Or(cfg.JournalMaxBytes, DefaultJournalMaxBytes)
	for i, f := range cfg.Faults {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("start smtp: faults[%d]: %w", i, err)
		}
	}
	s := &Server{cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		journal: newJournal(cfg.JournalMax, cfg.JournalMaxBytes, cfg.IgnoreDuplicateIDs), faults: newFaultSet(cfg.FaultSeed)}
	for _, f := range cfg.Faults {
		s.faults.Add(f)
	}
	srv := gosmtp.NewServer(backend{s})
	srv.Domain = "annex-mail-catcher.localhost"
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = slogLogger{s.log}
	if cfg.TLS {
		cert, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("start smtp: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	} else {
		// Without TLS there is nothing to wait for before AUTH: a local catcher.
		srv.AllowInsecureAuth = true
	}
	s.smtp = srv
	s.http = cfg.HTTPTimeouts.Server(s.Handler())
	return s, nil
}

// Start is New followed by Server.Start: a catcher listening on both
// configured addresses when it returns.
func Start(cfg Config) (*Server, error) { return lifecycle.Started(New(cfg)) }

// Start listens on Config.Listen (SMTP) and Config.APIListen (the
// inspection API) and serves both in the background.
func (s *Server) Start() error {
	ln, err := s.smtpG.Listen(s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("start smtp: %w", err)
	}
	api, err := s.apiG.Listen(s.cfg.APIListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("start smtp: api: %w", err)
	}
	lifecycle.Go(&s.bg, s.log, "smtp serve", func() error { return s.Serve(ln) })
	lifecycle.Go(&s.bg, s.log, "smtp serve", func() error { return s.ServeAPI(api) })
	return nil
}

// Serve accepts SMTP on l until Shutdown or Close, and then returns
// ErrServerClosed; it closes l.
func (s *Server) Serve(l net.Listener) error {
	return s.smtpG.Serve(l, s.smtp.Serve)
}

// ServeAPI serves the inspection API on l until Shutdown or Close, and
// then returns ErrServerClosed; it closes l.
func (s *Server) ServeAPI(l net.Listener) error {
	return s.apiG.Serve(l, s.http.Serve)
}

// Addr is the SMTP address (host:port) of the first listener served.
func (s *Server) Addr() string { return s.smtpG.Addr() }

// URL is the inspection API's base URL.
func (s *Server) URL() string { return "http://" + s.apiG.Addr() }

// Shutdown stops both listeners and waits for the SMTP sessions and API
// requests in hand, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.smtpG.Shut()
	s.apiG.Shut()
	err := errors.Join(ignoreClosed(s.smtp.Shutdown(ctx)), lifecycle.Closed(s.http.Shutdown(ctx)))
	if err == nil {
		err = lifecycle.Wait(ctx, &s.bg)
	}
	if err != nil {
		return fmt.Errorf("shut down smtp: %w", err)
	}
	return nil
}

// Close stops both listeners and every connection at once.
func (s *Server) Close() error {
	s.smtpG.Shut()
	s.apiG.Shut()
	err := errors.Join(ignoreClosed(s.smtp.Close()), lifecycle.Closed(s.http.Close()))
	s.bg.Wait()
	if err != nil {
		return fmt.Errorf("close smtp: %w", err)
	}
	return nil
}

// ignoreClosed drops go-smtp's "already closed" and the close errors of
// listeners the gate closed first.
func ignoreClosed(err error) error {
	if errors.Is(err, gosmtp.ErrServerClosed) {
		return nil
	}
	return lifecycle.Closed(err)
}

// Messages lists up to limit messages after id after that match f, oldest first.
func (s *Server) Messages(after int64, limit int, f Filter) []Message {
	out, _ := s.journal.list(after, limit, f)
	return out
}

// Wait blocks until at least n messages match f or ctx ends, and returns how many match.
func (s *Server) Wait(ctx context.Context, f Filter, n int) (int, error) {
	for {
		got, changed := s.journal.count(f)
		if got >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

// AddFault installs a validated fault.
func (s *Server) AddFault(f Fault) (Fault, error) {
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	return s.faults.Add(f), nil
}

// JournalStats are the journal's counters.
func (s *Server) JournalStats() Stats { return s.journal.stats() }

// ---- SMTP

type backend struct{ s *Server }

func (b backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &session{s: b.s, conn: c, remote: c.Conn().RemoteAddr().String()}, nil
}

type session struct {
	s      *Server
	conn   *gosmtp.Conn
	remote string
	authed bool
	from   string
	to     []string
}

var _ gosmtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.s.cfg.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, gosmtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.cfg.Username || password != ss.s.cfg.Password {
			return gosmtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

// fault applies the fault picked for stage, if any: nil means carry on.
func (ss *session) fault(stage string) error {
	f, ok := ss.s.faults.pick(stage)
	if !ok {
		return nil
	}
	switch f.Kind {
	case Delay:
		time.Sleep(time.Duration(f.Latency)) // the fault is the wait: a slow server
		return nil
	case Drop:
		ss.s.dropped.Add(1)
		ss.conn.Conn().Close()
		return errors.New("connection dropped by fault")
	}
	ss.s.refused.Add(1)
	msg := cmp.Or(f.Message, "refused by fault")
	enh := gosmtp.EnhancedCode{5, 0, 0}
	if f.Code < 500 {
		enh = gosmtp.EnhancedCode{4, 0, 0}
	}
	return &gosmtp.SMTPError{Code: f.Code, EnhancedCode: enh, Message: msg}
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.s.cfg.Username != "" && !ss.authed {
		// RFC 4954's reply, as real servers give it (go-smtp's own
		// ErrAuthRequired says 502, "command not implemented").
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if err := ss.fault(StageMail); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if err := ss.fault(StageRcpt); err != nil {
		return err
	}
	if d := ss.s.cfg.Domains; len(d) > 0 {
		_, domain, _ := strings.Cut(to, "@")
		if !slices.ContainsFunc(d, func(x string) bool { return strings.EqualFold(x, domain) }) {
			ss.s.refused.Add(1)
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 2}, Message: "this catcher takes no mail for " + domain}
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // go-smtp answers 552 for a message over MaxMessageBytes
	}
	if err := ss.fault(StageData); err != nil {
		return err
	}
	m := &Message{Received: time.Now().UTC(), RemoteAddr: ss.remote, From: ss.from, To: slices.Clone(ss.to), Size: len(raw), Raw: raw}
	if hdr, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Subject = decodeHeader(hdr.Header.Get("Subject"))
		m.MessageID, m.Date = hdr.Header.Get("Message-Id"), hdr.Header.Get("Date")
	}
	if ss.s.journal.add(m) {
		ss.s.accepted.Add(1)
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// selfSigned generates a certificate for 127.0.0.1 and localhost.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "annex mail catcher"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// slogLogger gives go-smtp's error log to slog.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(format string, v ...any) { s.l.Warn("smtp: " + fmt.Sprintf(format, v...)) }
func (s slogLogger) Println(v ...any)               { s.l.Warn("smtp: " + strings.TrimSpace(fmt.Sprintln(v...))) }
