package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/sftpd"
)

// ExpectSFTPAudit checks the SFTP server's audit log. Refused logins are
// audited before the client hears the refusal, so no waiting is needed.
type ExpectSFTPAudit struct {
	// Event is an audit event such as "login refused" or "upload".
	Event string `yaml:"event"`
	// Account is the SFTP account of the entry.
	Account string `yaml:"account"`
	// Contains is a substring of the entry (event, account, address, path and detail).
	Contains string `yaml:"contains"`
	// Absent checks that no entry matches.
	Absent bool `yaml:"absent"`
}

// ExpectSFTPAudit registers expect.sftp.audit.
func (catalog) ExpectSFTPAudit() scenario.Kind {
	return scenario.Kind{Name: "expect.sftp.audit", Doc: "an entry in the SFTP server's audit log", New: func() scenario.Action { return &ExpectSFTPAudit{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectSFTPAudit) Validate() error {
	if x.Event == "" {
		return errors.New("event is required")
	}
	return nil
}

// Run implements scenario.Action.
func (x *ExpectSFTPAudit) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.SFTP == nil {
		return scenario.Failf("expect.sftp.audit: the facility runs no SFTP server")
	}
	line := func(a sftpd.AuditEntry) string {
		return fmt.Sprintf("%s %s %s %s %s", a.Event, a.Account, a.RemoteAddr, a.Path, a.Detail)
	}
	n, seen := tally(env.World.SFTP.Audit(), line, func(a sftpd.AuditEntry) bool {
		return a.Event == x.Event && (x.Account == "" || a.Account == x.Account) && strings.Contains(line(a), x.Contains)
	})
	found := n > 0
	if found == !x.Absent {
		return nil
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.sftp.audit: %s entry %q containing %q: found %v, want %v", x.Event, x.Account, x.Contains, found, !x.Absent),
		Diff: listing("audit", seen)}
}
