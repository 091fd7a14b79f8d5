package steps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"path/filepath"
	"strconv"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
)

// SFTPUpload uploads a fixture file to the facility's SFTP server, as a
// library's job (or a person) would. Account, password and directory
// default to the first ALMA profile's SFTP intake.
type SFTPUpload struct {
	// File is the fixture uploaded (relative to the scenario file).
	File string `yaml:"file" scenario:"file"`
	// As is the remote file name (default: the fixture's base name).
	As string `yaml:"as"`
	// Account is the SFTP login (default: the first ALMA profile's account).
	Account string `yaml:"account"`
	// Password is the login's password (default: that account's).
	Password string `yaml:"password"`
	// Dir is the remote directory inside the account (default: the profile's directory).
	Dir string `yaml:"dir"`
	// From is the source IP address, e.g. 127.0.0.2 (default: the system's choice).
	From string `yaml:"from"`
	// AbortAfter drops the connection after this many bytes, without
	// closing the file: a half-written upload.
	AbortAfter int `yaml:"abort_after"`
	// ExpectError is a substring of the error the upload must fail with.
	ExpectError string `yaml:"expect_error"`
}

// SFTPUpload registers sftp.upload.
func (catalog) SFTPUpload() scenario.Kind {
	return scenario.Kind{Name: "sftp.upload", Doc: "upload a fixture file to the facility's SFTP server",
		New: func() scenario.Action { return &SFTPUpload{} }}
}

// Validate implements scenario.Validator.
func (u *SFTPUpload) Validate() error {
	if u.File == "" {
		return errors.New("file is required")
	}
	if u.From != "" && net.ParseIP(u.From) == nil {
		return fmt.Errorf("from: %q is not an IP address", u.From)
	}
	return nil
}

// Run implements scenario.Action.
func (u *SFTPUpload) Run(ctx context.Context, env *scenario.Env) error {
	if env.World.SFTP == nil {
		return scenario.Failf("sftp.upload: no profile has an SFTP account, so the facility runs no SFTP server")
	}
	data, err := env.Scenario.ReadFixture(u.File)
	if err != nil {
		return scenario.Failf("sftp.upload: %v", err)
	}
	acc, pw, dir := u.Account, u.Password, u.Dir
	if p := env.Profile(profile.SystemALMA); p != nil && p.Intake.SFTP != nil {
		s := p.Intake.SFTP
		acc, dir = cmp.Or(acc, s.Account), cmp.Or(dir, s.Directory)
		if u.Password == "" && (u.Account == "" || u.Account == s.Account) {
			pw = s.Password
		}
	}
	name := cmp.Or(u.As, filepath.Base(u.File))
	remote := path.Join(dir, name)
	err = u.upload(ctx, env.World.SFTP.Addr(), acc, pw, dir, remote, data)
	label := "SFTP put " + remote
	if u.AbortAfter > 0 {
		label += " (aborted after " + strconv.Itoa(u.AbortAfter) + " bytes)"
	}
	env.Record(scenario.Event{From: "scenario", To: "SFTP", Label: label, Request: data, Status: errText(err), Failed: err != nil})
	return checkErr("sftp.upload "+remote+" as "+acc, err, u.ExpectError)
}

func (u *SFTPUpload) upload(ctx context.Context, addr, user, password, dir, remote string, data []byte) error {
	conn, stop, err := dialFrom(ctx, u.From, addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer stop()
	defer conn.Close()
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
		// The server is this world's own, started a moment ago on an ephemeral key.
		HostKeyCallback: ssh.InsecureIgnoreHostKey()}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	sf, err := sftp.NewClient(client)
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	defer sf.Close()
	if dir != "" {
		if err := sf.MkdirAll(dir); err != nil {
			return fmt.Errorf("mkdir %s: %w", dir, err)
		}
	}
	f, err := sf.Create(remote)
	if err != nil {
		return fmt.Errorf("create %s: %w", remote, err)
	}
	if u.AbortAfter > 0 {
		// Written and acknowledged, then the line goes dead mid-file.
		if _, err := f.Write(data[:min(u.AbortAfter, len(data))]); err != nil {
			return fmt.Errorf("write %s: %w", remote, err)
		}
		conn.Close()
		return nil
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", remote, err)
	}
	// The server processes the file before it answers this close.
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", remote, err)
	}
	return nil
}
