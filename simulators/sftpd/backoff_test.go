package sftpd

import (
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/internal/clocktest"
	gossh "golang.org/x/crypto/ssh"
)

// TestPasswordsAreRateLimited (issue 11, item 12): after After wrong
// passwords an account, or a source address, backs off: even the right
// password is refused unchecked (audited) until the backoff has passed,
// each further failure doubles it, and the right password works again
// afterwards. Another account, and another source, are unaffected. Real
// SSH clients log in over TCP; the backoff runs on an injected clock.
func TestPasswordsAreRateLimited(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	const delay = 10 * time.Second
	ts := startTestServer(t, func(c *Config) {
		c.Accounts = append(c.Accounts, Account{Name: "aleph", Password: "aleph-pass", Root: t.TempDir()})
		c.LoginBackoff = LoginBackoff{After: 3, Delay: delay, Max: time.Minute, Forget: time.Hour, ReplyDelay: -1}
		c.Clock = clock.Now
	})
	login := func(t *testing.T, from, user, password string) error {
		t.Helper()
		c, _, err := dialSSH(t, ts.Server, from, user, gossh.Password(password))
		if err == nil {
			c.Close()
		}
		return err
	}
	mustLogin := func(t *testing.T, from, user, password string) {
		t.Helper()
		if err := login(t, from, user, password); err != nil {
			t.Fatalf("%s@%s with the right password: %v", user, from, err)
		}
	}
	mustBeRefused := func(t *testing.T, from, user, password, why string) string {
		t.Helper()
		n := len(ts.Audit())
		if err := login(t, from, user, password); err == nil {
			t.Fatalf("%s@%s logged in; want a refusal: %s", user, from, why)
		}
		for _, e := range ts.Audit()[n:] {
			if e.Event == EventLoginRefused && strings.Contains(e.Detail, why) {
				return e.Detail
			}
		}
		t.Fatalf("%s@%s: no audit entry saying %q in %+v", user, from, why, ts.Audit()[n:])
		return ""
	}

	t.Run("account", func(t *testing.T) {
		// Three sources, one wrong password each: no source backs off, the account does.
		for _, from := range []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"} {
			mustBeRefused(t, from, "alma", "guess", "wrong password")
		}
		mustBeRefused(t, "127.0.0.14", "alma", testPassword, "backoff: 3 failed passwords for account alma; next try in 10s")
		mustLogin(t, "127.0.0.14", "aleph", "aleph-pass") // another account
		clock.Advance(delay)
		// One more wrong password doubles the backoff.
		mustBeRefused(t, "127.0.0.15", "alma", "guess", "wrong password; backoff: 4 failed passwords for account alma; next try in 20s")
		clock.Advance(delay)
		mustBeRefused(t, "127.0.0.16", "alma", testPassword, "next try in 10s")
		clock.Advance(delay)
		mustLogin(t, "127.0.0.16", "alma", testPassword)
		// The login cleared the account's count: one typo is free again.
		mustBeRefused(t, "127.0.0.17", "alma", "typo", "wrong password")
		mustLogin(t, "127.0.0.17", "alma", testPassword)
	})

	t.Run("source", func(t *testing.T) {
		// Unknown accounts and wrong passwords both count against the source.
		mustBeRefused(t, "127.0.0.21", "nobody", "x", "unknown account")
		mustBeRefused(t, "127.0.0.21", "root", "x", "unknown account")
		mustBeRefused(t, "127.0.0.21", "aleph", "x", "wrong password; backoff: 3 failed passwords from 127.0.0.21")
		mustBeRefused(t, "127.0.0.21", "alma", testPassword, "password not checked; backoff: 3 failed passwords from 127.0.0.21")
		mustLogin(t, "127.0.0.22", "alma", testPassword) // another source, same account
		clock.Advance(delay)
		mustLogin(t, "127.0.0.21", "alma", testPassword)
	})

	t.Run("forgotten", func(t *testing.T) {
		mustLogin(t, "127.0.0.30", "aleph", "aleph-pass") // clears the source subtest's failure
		for range 3 {
			mustBeRefused(t, "127.0.0.31", "aleph", "guess", "wrong password")
		}
		mustBeRefused(t, "127.0.0.32", "aleph", "aleph-pass", "backoff")
		clock.Advance(time.Hour) // past Forget: the count decays to nothing
		if d := mustBeRefused(t, "127.0.0.31", "aleph", "guess", "wrong password"); d != "wrong password" {
			t.Errorf("a forgotten count still backs off: %q", d)
		}
		mustLogin(t, "127.0.0.31", "aleph", "aleph-pass")
	})
}

// TestPasswordBackoffHoldsTheReply (issue 11, item 12): while backing off,
// a refusal is held back on its own connection by ReplyDelay, so a client
// guessing on one connection slows down; a key login meanwhile succeeds.
func TestPasswordBackoffHoldsTheReply(t *testing.T) {
	const hold = 300 * time.Millisecond
	ts := startTestServer(t, func(c *Config) {
		c.LoginBackoff = LoginBackoff{After: 1, Delay: time.Hour, ReplyDelay: hold}
	})
	if _, _, err := dialSSH(t, ts.Server, "127.0.0.41", "alma", gossh.Password("guess")); err == nil {
		t.Fatal("a wrong password logged in")
	}
	held := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		// The account backs off since the first failure: refused unchecked, and held.
		dialSSH(t, ts.Server, "127.0.0.42", "alma", gossh.Password(testPassword))
		held <- time.Since(start)
	}()
	// Keys do not back off, and the held reply holds no lock.
	sc, _ := dialSFTP(t, ts.Server, "127.0.0.43", gossh.PublicKeys(ts.key))
	sc.Close()
	if d := <-held; d < hold {
		t.Errorf("the refusal while backing off came after %v, want at least %v", d, hold)
	}
}
