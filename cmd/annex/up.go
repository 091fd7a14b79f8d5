package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/sftpd"
)

// Default addresses of `annex up` (DESIGN §2.1).
const (
	defaultEngineAddr  = "127.0.0.1:7700"
	defaultALMAAddr    = "127.0.0.1:7701"
	defaultALEPHAddr   = "127.0.0.1:7702"
	defaultALEPHPort   = "127.0.0.1:5991"
	defaultSFTPAddr    = "127.0.0.1:2222"
	demoSFTPUser       = "alma"
	demoSFTPPassword   = "alma-demo"
	demoFacilityAPIKey = "demo-key"
)

// runUp starts every part that exists with the demo configuration and runs
// until interrupted. The facility engine (issue 4) is not built yet: uploads
// land in the SFTP account's directory and are logged.
func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("up", "up [--data DIR] [--alma ADDR] [--aleph ADDR] [--aleph-port ADDR] [--sftp ADDR]", stderr)
	data := fs.String("data", "", "directory for the SFTP accounts and host key (default: a temporary directory, removed on exit)")
	almaAddr := fs.String("alma", defaultALMAAddr, "mock ALMA's address")
	alephAddr := fs.String("aleph", defaultALEPHAddr, "mock ALEPH's HTTP address")
	alephPort := fs.String("aleph-port", defaultALEPHPort, "mock ALEPH's raw NCIP port")
	sftpAddr := fs.String("sftp", defaultSFTPAddr, "the SFTP server's address")
	config := fs.String("config", "", "configuration file (comes with the facility engine, issue 4)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return usageError(err)
	}
	if *config != "" {
		fmt.Fprintln(stderr, "annex up: --config needs the facility engine's profiles, which are not built yet; starting without it is the demo")
		return exitTrouble
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "annex-up-")
		if err != nil {
			fmt.Fprintf(stderr, "annex up: %v\n", err)
			return exitTrouble
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	stack, err := startDemo(log, dir, *almaAddr, *alephAddr, *alephPort, *sftpAddr)
	if err != nil {
		fmt.Fprintf(stderr, "annex up: %v\n", err)
		return exitTrouble
	}
	fmt.Fprintf(stdout, `annex up — demo configuration (credentials below are for the demo only)
  mock ALMA  NCIP 2        %s
             inspection    %s/_sim/   (POST /_sim/export pushes the request file by SFTP)
  mock ALEPH NCIP 1 HTTP   %s/ncip
             NCIP 1 port   %s
             inspection    %s/_sim/
  SFTP                     %s   account %s / %s, allowed from 127.0.0.0/8
  SFTP files               %s
  facility engine          not built yet (issue 4); uploads are logged
ready; interrupt to stop
`, stack.alma.NCIPURL(), stack.alma.URL(), stack.aleph.URL(), stack.aleph.PortAddrs()[0], stack.aleph.URL(),
		stack.sftp.Addr(), demoSFTPUser, demoSFTPPassword, filepath.Join(dir, "sftp"))
	<-ctx.Done()
	if err := stack.Close(); err != nil {
		fmt.Fprintf(stderr, "annex up: shut down: %v\n", err)
		return exitTrouble
	}
	fmt.Fprintln(stdout, "stopped")
	return exitOK
}

// demoStack is everything `annex up` runs.
type demoStack struct {
	sftp  *sftpd.Server
	alma  *alma.Server
	aleph *aleph.Server
}

// startDemo starts the SFTP server first, since mock ALMA's export job needs its address.
func startDemo(log *slog.Logger, dir, almaAddr, alephAddr, alephPort, sftpAddr string) (*demoStack, error) {
	s := &demoStack{}
	var err error
	s.sftp, err = sftpd.Start(sftpd.Config{
		Addr:        sftpAddr,
		HostKeyFile: filepath.Join(dir, "ssh_host_ed25519_key"),
		Accounts: []sftpd.Account{{
			Name: demoSFTPUser, Password: demoSFTPPassword,
			AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Root:            filepath.Join(dir, "sftp", demoSFTPUser),
		}},
		OnUpload: func(u sftpd.Upload) {
			log.Info("request file arrived", "account", u.Account, "path", u.Path, "size", u.Size, "from", u.RemoteAddr)
		},
		Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("start sftp: %w", err)
	}
	acfg := alma.DemoConfig()
	acfg.Listen = almaAddr
	acfg.Export.SFTPAddr = s.sftp.Addr()
	acfg.Logger = log
	if s.alma, err = alma.Start(acfg); err != nil {
		return nil, errors.Join(fmt.Errorf("start mock alma: %w", err), s.Close())
	}
	lcfg := aleph.DemoConfig()
	lcfg.Listen = alephAddr
	lcfg.Ports[0].Listen = alephPort
	lcfg.Poster.URL = "http://" + defaultEngineAddr + "/api/requestfile/v1"
	lcfg.Logger = log
	if s.aleph, err = aleph.Start(lcfg); err != nil {
		return nil, errors.Join(fmt.Errorf("start mock aleph: %w", err), s.Close())
	}
	return s, nil
}

// Close stops what was started, last first.
func (s *demoStack) Close() error {
	var errs []error
	if s.aleph != nil {
		errs = append(errs, s.aleph.Close())
	}
	if s.alma != nil {
		errs = append(errs, s.alma.Close())
	}
	if s.sftp != nil {
		errs = append(errs, s.sftp.Close())
	}
	return errors.Join(errs...)
}
