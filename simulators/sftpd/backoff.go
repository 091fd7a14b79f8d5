package sftpd

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	doubling "github.com/annexlab/annex/internal/backoff"
)

// Defaults of LoginBackoff's zero fields.
const (
	DefaultBackoffAfter      = 5
	DefaultBackoffDelay      = time.Second
	DefaultBackoffMax        = time.Minute
	DefaultBackoffForget     = 15 * time.Minute
	DefaultBackoffReplyDelay = time.Second
)

// maxTracked bounds the failure table; past it, forgotten entries are swept.
const maxTracked = 4096

// LoginBackoff slows down repeated password failures (docs/design.md, "Security"),
// counted per account and per source (an IPv4 address, an IPv6 /64). Once
// either has After failures, password attempts for it are refused without
// being checked until its backoff has passed: Delay after the last failure,
// doubled by each further failure, at most Max. Failures older than Forget
// are forgotten and a successful login clears its account's count, so the
// right password always works again once the backoff has passed.
//
// Only a wrong password for a known account from an allowed source counts
// against the account; every refused password counts against its source.
// So nobody outside an account's allowed networks can lock its owner out.
// Public keys do not count: clients routinely offer several.
//
// The zero value is the default; a negative After disables backoff.
type LoginBackoff struct {
	After  int           // failures before backoff starts; 0 means DefaultBackoffAfter
	Delay  time.Duration // the first backoff; 0 means DefaultBackoffDelay
	Max    time.Duration // the longest backoff; 0 means DefaultBackoffMax
	Forget time.Duration // failures older than this are forgotten; 0 means DefaultBackoffForget
	// ReplyDelay holds back the refusal of a password while its account or
	// source is backing off, by at most this long (and never past the
	// backoff), on that connection only: a client guessing on one
	// connection slows down, nobody else waits. 0 means
	// DefaultBackoffReplyDelay; negative means no delay.
	ReplyDelay time.Duration
}

func (b LoginBackoff) withDefaults() LoginBackoff {
	if b.After == 0 {
		b.After = DefaultBackoffAfter
	}
	if b.Delay <= 0 {
		b.Delay = DefaultBackoffDelay
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	b.Max = max(b.Max, b.Delay)
	if b.Forget <= 0 {
		b.Forget = DefaultBackoffForget
	}
	if b.ReplyDelay == 0 {
		b.ReplyDelay = DefaultBackoffReplyDelay
	}
	return b
}

// failures is one account's or source's recent failed passwords.
type failures struct {
	n    int
	last time.Time
}

// limiter keeps the failure counts. Its lock is held only to read or
// update a count, never while a reply is held back.
type limiter struct {
	cfg   LoginBackoff
	clock func() time.Time

	mu       sync.Mutex
	accounts map[string]*failures
	sources  map[netip.Prefix]*failures
}

func newLimiter(cfg LoginBackoff, clock func() time.Time) *limiter {
	if clock == nil {
		clock = time.Now
	}
	return &limiter{cfg: cfg.withDefaults(), clock: clock,
		accounts: map[string]*failures{}, sources: map[netip.Prefix]*failures{}}
}

// sourceKey groups addresses one client is likely to hold: an IPv4
// address, or the /64 of an IPv6 one.
func sourceKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// remaining is how long f still backs off at now; it forgets f once Forget has passed.
func (l *limiter) remaining(f *failures, now time.Time) time.Duration {
	if f == nil || l.cfg.After < 0 {
		return 0
	}
	if now.Sub(f.last) >= l.cfg.Forget {
		f.n = 0
	}
	if f.n < l.cfg.After {
		return 0
	}
	// The After-th failure waits Delay, each further one twice as long.
	return max(doubling.Doubling(l.cfg.Delay, l.cfg.Max, f.n-l.cfg.After+1)-now.Sub(f.last), 0)
}

// backoff is the state of one refusal: what is backing off and for how long.
type backoff struct {
	wait   time.Duration
	reason string // e.g. "5 failed passwords for account alma"
}

func (b backoff) String() string {
	return fmt.Sprintf("backoff: %s; next try in %s", b.reason, b.wait.Round(time.Millisecond))
}

// sourceBackoff reports whether src must wait before it may try a password.
func (l *limiter) sourceBackoff(src netip.Prefix) (backoff, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.sources[src]
	if d := l.remaining(f, l.clock()); d > 0 {
		return backoff{d, fmt.Sprintf("%d failed passwords from %s", f.n, describe(src))}, true
	}
	return backoff{}, false
}

// accountBackoff reports whether account must wait before it may try a password.
func (l *limiter) accountBackoff(account string) (backoff, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.accounts[account]
	if d := l.remaining(f, l.clock()); d > 0 {
		return backoff{d, fmt.Sprintf("%d failed passwords for account %s", f.n, account)}, true
	}
	return backoff{}, false
}

// fail counts a refused password against src and, when account is not
// "", against the account; it returns the backoff this failure started or
// extended, if any.
func (l *limiter) fail(account string, src netip.Prefix) (backoff, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	if len(l.sources)+len(l.accounts) > maxTracked {
		l.sweep(now)
	}
	var worst backoff
	count := func(f *failures, what string) *failures {
		if f == nil {
			f = &failures{}
		}
		l.remaining(f, now) // forgets an old count first
		f.n++
		f.last = now
		if d := l.remaining(f, now); d > worst.wait {
			worst = backoff{d, fmt.Sprintf("%d failed passwords %s", f.n, what)}
		}
		return f
	}
	l.sources[src] = count(l.sources[src], "from "+describe(src))
	if account != "" {
		l.accounts[account] = count(l.accounts[account], "for account "+account)
	}
	return worst, worst.wait > 0
}

// succeed clears the account's failures: its owner has proved who they are.
func (l *limiter) succeed(account string) {
	l.mu.Lock()
	delete(l.accounts, account)
	l.mu.Unlock()
}

// sweep drops forgotten entries; l.mu is held.
func (l *limiter) sweep(now time.Time) {
	for k, f := range l.sources {
		if now.Sub(f.last) >= l.cfg.Forget {
			delete(l.sources, k)
		}
	}
	for k, f := range l.accounts {
		if now.Sub(f.last) >= l.cfg.Forget {
			delete(l.accounts, k)
		}
	}
}

func describe(src netip.Prefix) string {
	if src.Addr().Is4() {
		return src.Addr().String()
	}
	return src.String()
}
