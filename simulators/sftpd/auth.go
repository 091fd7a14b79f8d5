package sftpd

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// account is a validated Account.
type account struct {
	name     string
	password []byte // SHA-256 of the password; nil when password login is disabled
	keys     []gossh.PublicKey
	networks []netip.Prefix
	root     string // absolute
}

func loadAccounts(in []Account) (map[string]*account, error) {
	if len(in) == 0 {
		return nil, errors.New("no accounts configured")
	}
	out := make(map[string]*account, len(in))
	for i, a := range in {
		if a.Name == "" {
			return nil, fmt.Errorf("account %d: empty name", i)
		}
		if _, dup := out[a.Name]; dup {
			return nil, fmt.Errorf("account %q: defined twice", a.Name)
		}
		acct, err := loadAccount(a)
		if err != nil {
			return nil, fmt.Errorf("account %q: %w", a.Name, err)
		}
		out[a.Name] = acct
	}
	return out, nil
}

func loadAccount(a Account) (*account, error) {
	acct := &account{name: a.Name}
	if a.Password != "" {
		sum := sha256.Sum256([]byte(a.Password))
		acct.password = sum[:]
	}
	for i, line := range a.AuthorizedKeys {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("authorized key %d: %w", i+1, err)
		}
		acct.keys = append(acct.keys, key)
	}
	if acct.password == nil && len(acct.keys) == 0 {
		return nil, errors.New("neither a password nor an authorized key: nobody could log in")
	}
	for _, p := range a.AllowedNetworks {
		if !p.IsValid() {
			return nil, fmt.Errorf("allowed network %v is not valid", p)
		}
		acct.networks = append(acct.networks, p.Masked())
	}
	if a.Root == "" {
		return nil, errors.New("no root directory")
	}
	root, err := filepath.Abs(a.Root)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	acct.root = root
	return acct, nil
}

// allows reports whether a login may come from addr.
func (a *account) allows(addr netip.Addr) bool {
	if len(a.networks) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range a.networks {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// checkSource finds the account and checks the client's source address,
// which comes first so that a client outside the allow-list learns nothing
// about the credentials. It audits and returns nil on refusal.
func (s *Server) checkSource(ctx gliderssh.Context) *account {
	acct, reason := s.lookup(ctx)
	if acct == nil {
		s.record(AuditEntry{Account: ctx.User(), RemoteAddr: ctx.RemoteAddr().String(), Event: EventLoginRefused, Detail: reason})
	}
	return acct
}

// lookup is checkSource without the audit: nil and the reason on refusal.
func (s *Server) lookup(ctx gliderssh.Context) (*account, string) {
	acct := s.accounts[ctx.User()]
	if acct == nil {
		return nil, "unknown account"
	}
	ip, ok := remoteIP(ctx.RemoteAddr())
	if !ok {
		return nil, fmt.Sprintf("source address %s not allowed", ctx.RemoteAddr())
	}
	if !acct.allows(ip) {
		return nil, fmt.Sprintf("source address %s not allowed", ip)
	}
	return acct, ""
}

func remoteIP(addr net.Addr) (netip.Addr, bool) {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		ip, ok := netip.AddrFromSlice(tcp.IP)
		return ip.Unmap(), ok
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// passwordAuth is gliderlabs' PasswordHandler. A source or account that
// is backing off (see LoginBackoff) is refused before anything is checked.
func (s *Server) passwordAuth(ctx gliderssh.Context, password string) bool {
	ip, _ := remoteIP(ctx.RemoteAddr())
	src := sourceKey(ip)
	refuse := func(account, reason string, b backoff, backing bool) bool {
		if backing {
			reason += "; " + b.String()
		}
		s.record(AuditEntry{Account: account, RemoteAddr: ctx.RemoteAddr().String(), Event: EventLoginRefused, Detail: reason})
		s.holdReply(b)
		return false
	}
	if b, ok := s.limit.sourceBackoff(src); ok {
		return refuse(ctx.User(), "password not checked", b, true)
	}
	acct, reason := s.lookup(ctx)
	if acct == nil {
		b, backing := s.limit.fail("", src)
		return refuse(ctx.User(), reason, b, backing)
	}
	if b, ok := s.limit.accountBackoff(acct.name); ok {
		return refuse(acct.name, "password not checked", b, true)
	}
	// Hashing both sides gives equal lengths, so the comparison's time does
	// not depend on where or whether the passwords differ.
	sum := sha256.Sum256([]byte(password))
	switch {
	case acct.password == nil:
		reason = "password login disabled for this account"
	case subtle.ConstantTimeCompare(sum[:], acct.password) != 1:
		reason = "wrong password"
	}
	if reason != "" {
		b, backing := s.limit.fail(acct.name, src)
		return refuse(acct.name, reason, b, backing)
	}
	s.limit.succeed(acct.name)
	return true
}

// holdReply delays a refusal while its account or source backs off, on
// this connection's goroutine only (no lock is held), and never past Close.
func (s *Server) holdReply(b backoff) {
	d := min(b.wait, s.limit.cfg.ReplyDelay)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}

// publicKeyAuth is gliderlabs' PublicKeyHandler. It only says whether the
// key is acceptable; the login is audited once the signature is verified
// (authLog).
func (s *Server) publicKeyAuth(ctx gliderssh.Context, key gliderssh.PublicKey) bool {
	acct := s.checkSource(ctx)
	if acct == nil {
		return false
	}
	for _, k := range acct.keys {
		if gliderssh.KeysEqual(k, key) {
			return true
		}
	}
	reason := "key not authorized"
	if len(acct.keys) == 0 {
		reason = "key login disabled for this account"
	}
	s.record(AuditEntry{Account: acct.name, RemoteAddr: ctx.RemoteAddr().String(), Event: EventLoginRefused,
		Detail: reason + " (" + gossh.FingerprintSHA256(key) + ")"})
	return false
}

// authLog is x/crypto/ssh's AuthLogCallback: the one place that sees a
// login succeed, after a key's signature has been checked.
func (s *Server) authLog(st *connState) func(gossh.ConnMetadata, string, error) {
	return func(md gossh.ConnMetadata, method string, err error) {
		if err != nil {
			return // refusals were audited with their reason by the handlers
		}
		st.setUser(md.User())
		st.grace.Stop()
		s.record(AuditEntry{Account: md.User(), RemoteAddr: md.RemoteAddr().String(), Event: EventLogin, Detail: method})
	}
}
