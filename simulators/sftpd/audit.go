package sftpd

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/annexlab/annex/internal/broadcast"
)

// Audit events. Refusals carry the reason in AuditEntry.Detail; file
// operations that failed carry "error: …" there.
const (
	EventLogin         = "login"          // Detail: the method, "password" or "publickey"
	EventLoginRefused  = "login refused"  // Detail: "unknown account", "wrong password", "key not authorized", "source address … not allowed", …
	EventRefused       = "refused"        // shell, exec, pty, agent/X11/port forwarding, other subsystems; Detail says which
	EventDisconnect    = "disconnect"     // the connection and all its sessions have ended
	EventSFTPStart     = "sftp start"     // an sftp subsystem session began
	EventSFTPEnd       = "sftp end"       // an sftp subsystem session ended
	EventUpload        = "upload"         // a file was closed after writing and has its final name
	EventUploadAborted = "upload aborted" // the connection dropped before the file was closed; the partial was removed
	EventUploadFailed  = "upload failed"  // size cap exceeded or the final rename failed; the partial was removed
	EventUploadQueued  = "upload queued"  // a finished upload waits for an earlier upload of its name to be taken (OnUpload to return)
	EventDownload      = "download"       // a file was opened for reading
	EventMkdir         = "mkdir"
	EventRmdir         = "rmdir"
	EventRemove        = "remove"
	EventRename        = "rename"  // Detail: "to <new path>"
	EventSetstat       = "setstat" // Detail: what was changed
	EventDenied        = "denied"  // an operation the jail never allows (symlink, hard link, readlink)
)

// AuditEntry is one line of the session audit log: logins (ok/refused and
// why), file operations, disconnects.
type AuditEntry struct {
	Time       time.Time
	Account    string
	RemoteAddr string
	Event      string
	Path       string // slash path inside the account's root, when the event concerns a file
	Detail     string
}

// auditLog is a bounded ring of entries; changed is notified on
// every append so waiters (tests) need no polling.
type auditLog struct {
	mu      sync.Mutex
	buf     []AuditEntry
	start   int // index of the oldest entry once buf is full
	limit   int
	changed broadcast.Signal
}

func (a *auditLog) init(limit int) {
	a.limit = limit
}

func (a *auditLog) add(e AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.buf) < a.limit {
		a.buf = append(a.buf, e)
	} else {
		a.buf[a.start] = e
		a.start = (a.start + 1) % a.limit
	}
	a.changed.Notify()
}

func (a *auditLog) entries() []AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AuditEntry, 0, len(a.buf))
	out = append(out, a.buf[a.start:]...)
	return append(out, a.buf[:a.start]...)
}

// record stamps, keeps and logs one audit entry.
func (s *Server) record(e AuditEntry) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	s.audit.add(e)
	level := slog.LevelInfo
	switch e.Event {
	case EventLoginRefused, EventRefused, EventDenied, EventUploadFailed, EventUploadAborted:
		level = slog.LevelWarn
	case EventSFTPStart, EventSFTPEnd, EventDownload:
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{slog.String("event", e.Event), slog.String("remote", e.RemoteAddr)}
	if e.Account != "" {
		attrs = append(attrs, slog.String("account", e.Account))
	}
	if e.Path != "" {
		attrs = append(attrs, slog.String("path", e.Path))
	}
	if e.Detail != "" {
		attrs = append(attrs, slog.String("detail", e.Detail))
	}
	s.log.LogAttrs(context.Background(), level, "sftp audit", attrs...)
}

// waitAudit blocks until an entry matching match is in the audit log (or
// ctx ends), and returns it. It exists for tests: the server's own state
// changes are the events they wait on, never a timer.
func (s *Server) waitAudit(ctx context.Context, match func(AuditEntry) bool) (AuditEntry, error) {
	var found AuditEntry
	err := broadcast.Until(ctx, s.audit.changed.C, func() (bool, error) {
		for _, e := range s.audit.entries() {
			if match(e) {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	return found, err
}
