package sftpd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	gliderssh "github.com/gliderlabs/ssh"
	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
)

// refusalNote is appended to every refusal written to a session's stderr.
const refusalNote = "this server only provides SFTP"

type connStateKey struct{}

func stateOf(ctx gliderssh.Context) *connState {
	st, _ := ctx.Value(connStateKey{}).(*connState)
	return st
}

// newSSHServer wires gliderlabs' server: authentication, one channel type
// ("session", filtered), one subsystem ("sftp"), and refusals with an audit
// entry for everything else.
func (s *Server) newSSHServer() *gliderssh.Server {
	forward := s.refuseGlobalForward
	srv := &gliderssh.Server{
		Version:          "annex_sftpd",
		HostSigners:      []gliderssh.Signer{s.signer},
		Handler:          s.refuseCommand,
		PasswordHandler:  s.passwordAuth,
		PublicKeyHandler: s.publicKeyAuth,
		ConnCallback: func(ctx gliderssh.Context, c net.Conn) net.Conn {
			if tc, ok := c.(*trackedConn); ok {
				ctx.SetValue(connStateKey{}, tc.st)
			}
			return c
		},
		ServerConfigCallback: func(ctx gliderssh.Context) *gossh.ServerConfig {
			return &gossh.ServerConfig{AuthLogCallback: s.authLog(stateOf(ctx))}
		},
		ConnectionFailedCallback: func(c net.Conn, err error) {
			s.log.Debug("ssh handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		},
		// Belt and braces: the request filter already lets only "subsystem
		// sftp" through to gliderlabs.
		SessionRequestCallback: func(sess gliderssh.Session, requestType string) bool {
			return requestType == "subsystem" && sess.Subsystem() == "sftp"
		},
		PtyCallback: func(gliderssh.Context, gliderssh.Pty) bool { return false },
		// nil Local/ReversePortForwardingCallback already deny, and no
		// forwarding handler is registered at all.
		ChannelHandlers: map[string]gliderssh.ChannelHandler{
			"session":                        s.sessionChannel,
			"direct-tcpip":                   s.refuseChannel,
			"direct-streamlocal@openssh.com": s.refuseChannel,
			"default":                        s.refuseChannel,
		},
		RequestHandlers: map[string]gliderssh.RequestHandler{
			"tcpip-forward":                          forward,
			"cancel-tcpip-forward":                   forward,
			"streamlocal-forward@openssh.com":        forward,
			"cancel-streamlocal-forward@openssh.com": forward,
		},
		SubsystemHandlers: map[string]gliderssh.SubsystemHandler{
			"sftp": s.sftpSubsystem,
		},
	}
	return srv
}

// sessionChannel accepts a session channel through a filter that refuses
// every request but "subsystem sftp" (and harmless ones like "env") before
// gliderlabs sees it.
func (s *Server) sessionChannel(srv *gliderssh.Server, conn *gossh.ServerConn, newChan gossh.NewChannel, ctx gliderssh.Context) {
	st := stateOf(ctx)
	if st == nil || !st.acquire() {
		_ = newChan.Reject(gossh.ConnectionFailed, "server shutting down")
		return
	}
	defer st.release()
	gliderssh.DefaultSessionHandler(srv, conn, &filteredChannel{NewChannel: newChan, s: s, st: st, ctx: ctx}, ctx)
}

// filteredChannel is a gossh.NewChannel whose request stream is filtered.
type filteredChannel struct {
	gossh.NewChannel
	s   *Server
	st  *connState
	ctx gliderssh.Context
}

func (f *filteredChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := f.NewChannel.Accept()
	if err != nil {
		return nil, nil, err
	}
	out := make(chan *gossh.Request)
	// The caller holds a reference, so this cannot fail.
	f.st.acquire()
	go func() {
		defer f.st.release()
		defer close(out)
		ended := false
		for req := range reqs {
			if ended {
				_ = req.Reply(false, nil)
				continue
			}
			switch f.s.filterSessionRequest(f.ctx, ch, req) {
			case pass:
				out <- req
			case endSession:
				ended = true
			}
		}
	}()
	return ch, out, nil
}

type verdict int

const (
	pass       verdict = iota // hand the request to gliderlabs
	refuse                    // answered "no"; the session goes on
	endSession                // answered, and the channel closed
)

// filterSessionRequest refuses what an SFTP-only server must not do, with
// an audit entry and a line on the session's stderr. A shell or command is
// "accepted" only to print why nothing runs and exit with status 1 (as
// OpenSSH's ForceCommand internal-sftp does): a plain "no" makes OpenSSH's
// client exit without printing anything the server sent.
func (s *Server) filterSessionRequest(ctx gliderssh.Context, ch gossh.Channel, req *gossh.Request) verdict {
	var what string
	end := false
	switch req.Type {
	case "subsystem":
		var p struct{ Name string }
		if err := gossh.Unmarshal(req.Payload, &p); err != nil {
			what = "malformed subsystem request"
		} else if p.Name != "sftp" {
			what = fmt.Sprintf("subsystem %q", p.Name)
		} else {
			return pass
		}
	case "exec":
		var p struct{ Command string }
		if err := gossh.Unmarshal(req.Payload, &p); err != nil {
			what = "exec"
		} else {
			what = "exec " + strconv.Quote(p.Command)
		}
		end = true
	case "shell":
		what, end = "shell", true
	case "pty-req":
		what = "pty"
	case "x11-req":
		what = "X11 forwarding"
	case "auth-agent-req@openssh.com":
		what = "agent forwarding"
	default:
		// env, window-change, signal, keepalive…: gliderlabs answers them
		// (mostly "no") and none can start anything.
		return pass
	}
	s.record(AuditEntry{Account: ctx.User(), RemoteAddr: ctx.RemoteAddr().String(), Event: EventRefused, Detail: what})
	msg := fmt.Sprintf("annex sftpd: %s refused: %s\r\n", what, refusalNote)
	if !end {
		_, _ = io.WriteString(ch.Stderr(), msg)
		_ = req.Reply(false, nil)
		return refuse
	}
	_ = req.Reply(true, nil)
	_, _ = io.WriteString(ch.Stderr(), msg)
	_, _ = ch.SendRequest("exit-status", false, gossh.Marshal(struct{ Status uint32 }{1}))
	_ = ch.Close()
	return endSession
}

// refuseCommand is the gliderlabs Handler for shells and commands; the
// filter means it is never reached, but if it were, it still runs nothing.
func (s *Server) refuseCommand(sess gliderssh.Session) {
	fmt.Fprintf(sess.Stderr(), "annex sftpd: command refused: %s\r\n", refusalNote)
	_ = sess.Exit(1)
}

// refuseChannel rejects every channel type but "session", including port
// forwarding ("direct-tcpip").
func (s *Server) refuseChannel(_ *gliderssh.Server, _ *gossh.ServerConn, newChan gossh.NewChannel, ctx gliderssh.Context) {
	what := fmt.Sprintf("channel %q", newChan.ChannelType())
	msg := "channel type not supported: " + refusalNote
	reason := gossh.UnknownChannelType
	switch newChan.ChannelType() {
	case "direct-tcpip":
		var p struct {
			Host       string
			Port       uint32
			OriginHost string
			OriginPort uint32
		}
		what = "port forwarding"
		if gossh.Unmarshal(newChan.ExtraData(), &p) == nil {
			what += " to " + net.JoinHostPort(p.Host, strconv.FormatUint(uint64(p.Port), 10))
		}
		msg, reason = "port forwarding is not allowed: "+refusalNote, gossh.Prohibited
	case "direct-streamlocal@openssh.com":
		what = "unix socket forwarding"
		msg, reason = "socket forwarding is not allowed: "+refusalNote, gossh.Prohibited
	}
	s.record(AuditEntry{Account: ctx.User(), RemoteAddr: ctx.RemoteAddr().String(), Event: EventRefused, Detail: what})
	_ = newChan.Reject(reason, msg)
}

// refuseGlobalForward refuses reverse port and socket forwarding.
func (s *Server) refuseGlobalForward(ctx gliderssh.Context, _ *gliderssh.Server, req *gossh.Request) (bool, []byte) {
	what := "reverse forwarding (" + req.Type + ")"
	var p struct {
		Host string
		Port uint32
	}
	if (req.Type == "tcpip-forward" || req.Type == "cancel-tcpip-forward") && gossh.Unmarshal(req.Payload, &p) == nil {
		what = "reverse port forwarding from " + net.JoinHostPort(p.Host, strconv.FormatUint(uint64(p.Port), 10))
	}
	s.record(AuditEntry{Account: ctx.User(), RemoteAddr: ctx.RemoteAddr().String(), Event: EventRefused, Detail: what})
	return false, nil
}

// sftpSubsystem serves one SFTP session jailed in the account's root.
func (s *Server) sftpSubsystem(sess gliderssh.Session) {
	st := stateOf(sess.Context())
	if st == nil || !st.acquire() {
		return // the connection is already gone
	}
	defer st.release()
	remote := sess.RemoteAddr().String()
	acct := s.accounts[sess.User()]
	if acct == nil { // cannot happen: authentication looked the account up
		_ = sess.Exit(1)
		return
	}
	root, err := os.OpenRoot(acct.root)
	if err != nil {
		s.log.Error("sftp session: open account root", "account", acct.name, "err", err)
		fmt.Fprintf(sess.Stderr(), "annex sftpd: the account's directory is not available\r\n")
		_ = sess.Exit(1)
		return
	}
	defer root.Close()

	s.record(AuditEntry{Account: acct.name, RemoteAddr: remote, Event: EventSFTPStart})
	j := newJail(s, acct, root, remote)
	rs := sftp.NewRequestServer(sess, sftp.Handlers{FileGet: j, FilePut: j, FileCmd: j, FileList: j})
	// Serve returns io.EOF when the client ends the session; by then it has
	// aborted (TransferError + Close) every upload left open.
	err = rs.Serve()
	detail := ""
	if err != nil && !errors.Is(err, io.EOF) {
		detail = err.Error()
	}
	_ = rs.Close()
	s.record(AuditEntry{Account: acct.name, RemoteAddr: remote, Event: EventSFTPEnd, Detail: detail})
}
