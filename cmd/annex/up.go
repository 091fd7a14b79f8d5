package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/smtp"
	"github.com/annexlab/annex/world"
)

// Default addresses of `annex up` (the README's CLI reference).
const (
	defaultEngineAddr = "127.0.0.1:7700"
	defaultALMAAddr   = "127.0.0.1:7701"
	defaultALEPHAddr  = "127.0.0.1:7702"
	defaultALEPHPort  = "127.0.0.1:5991"
	defaultSFTPAddr   = "127.0.0.1:2222"
	defaultMailAddr   = profile.DemoMailAddr
	defaultMailAPI    = "127.0.0.1:7703"
)

// runUp starts the facility engine, its SFTP server and, with the embedded
// demo configuration, mock ALMA and mock ALEPH pointed at it; it runs until
// interrupted. With --config it runs the facility side only, for profiles
// that point at real library systems or at `annex sim`.
func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("up", "up [--config FACILITY.yaml] [--data DIR] [--reinit] [--demo-auto [--demo-every D]] [--bind HOST] [--engine ADDR] [--sftp ADDR] [--alma ADDR] [--aleph ADDR] [--aleph-port ADDR] [--mail ADDR] [--mail-api ADDR]", stderr)
	config := fs.String("config", "", "facility configuration (it names the profiles); replaces the embedded demo, and no mocks are started")
	data := fs.String("data", "", "directory for the store, the inboxes and the SFTP accounts (default: a temporary directory, removed on exit)")
	reinit := fs.Bool("reinit", false, "start with a new database even though --data has history (request files already processed) and no annex.db")
	demoAuto := fs.Bool("demo-auto", false, "demo only: every few seconds export and post requests, retrieve what was accepted and refile what was retrieved, and when all is back in storage request it all again")
	demoEvery := fs.Duration("demo-every", 3*time.Second, "with --demo-auto: how often the demo acts")
	engineAddr := fs.String("engine", defaultEngineAddr, "the facility engine's REST API address")
	sftpAddr := fs.String("sftp", defaultSFTPAddr, "the SFTP server's address")
	almaAddr := fs.String("alma", defaultALMAAddr, "mock ALMA's address (demo)")
	alephAddr := fs.String("aleph", defaultALEPHAddr, "mock ALEPH's HTTP address (demo)")
	alephPort := fs.String("aleph-port", defaultALEPHPort, "mock ALEPH's raw NCIP port (demo)")
	mailAddr := fs.String("mail", defaultMailAddr, "the mail catcher's SMTP address, where the demo profiles' alert emails go (demo)")
	mailAPI := fs.String("mail-api", defaultMailAPI, "the mail catcher's inspection API address (demo)")
	bind := fs.String("bind", "", "host every address not given by its own flag listens on (e.g. 0.0.0.0 in a container); a non-loopback host opens the demo SFTP account to any source address")
	if _, code, ok := parseArgs(fs, args, nil); !ok {
		return code
	}
	if *config != "" {
		// --config starts the facility side only: the demo's flags would be silently ignored.
		for _, name := range []string{"demo-auto", "demo-every", "alma", "aleph", "aleph-port"} {
			if isSet(fs, name) {
				fmt.Fprintf(stderr, "annex up: --%s drives the demo's mock ALMA and mock ALEPH, which --config does not start; "+
					"drop --%s, or run `annex sim alma|aleph` beside `annex up --config`\n", name, name)
				return exitTrouble
			}
		}
	}
	switch {
	case isSet(fs, "demo-every") && !*demoAuto:
		fmt.Fprintln(stderr, "annex up: --demo-every paces --demo-auto; add --demo-auto or drop --demo-every")
		return exitTrouble
	case *demoEvery <= 0:
		fmt.Fprintf(stderr, "annex up: --demo-every %s: want a positive duration such as 3s\n", *demoEvery)
		return exitTrouble
	}
	if *bind != "" {
		if err := checkBindHost(*bind); err != nil {
			fmt.Fprintf(stderr, "annex up: --bind: %v\n", err)
			return exitTrouble
		}
		// The defaults are loopback addresses, unreachable from outside a
		// container; --bind moves every address the user did not choose.
		for name, addr := range map[string]*string{"engine": engineAddr, "sftp": sftpAddr, "alma": almaAddr, "aleph": alephAddr, "aleph-port": alephPort,
			"mail": mailAddr, "mail-api": mailAPI} {
			if !isSet(fs, name) {
				*addr = rebind(*addr, *bind)
			}
		}
	}
	started := time.Now()
	gate := &startGate{}
	log := slog.New(gate.handler(slog.NewTextHandler(stderr, nil)))
	opts := world.Options{EngineListen: *engineAddr, SFTPListen: *sftpAddr, Logger: log, Reinit: *reinit}
	engineFlag := "--engine"
	if *config != "" {
		fac, profs, err := profile.LoadFacility(*config)
		if err != nil {
			fmt.Fprintf(stderr, "annex up: %v\n", err)
			return exitTrouble
		}
		if fac.Listen != "" && !isSet(fs, "engine") {
			engineFlag = "--engine, or listen: in " + *config
			opts.EngineListen = fac.Listen
			if *bind != "" {
				opts.EngineListen = rebind(fac.Listen, *bind)
			}
		}
		opts.Facility, opts.Profiles = fac, profs
	} else {
		opts.Facility, opts.Profiles = profile.WithDemoAlerts(profile.DemoFacility())
		opts.Mail = &smtp.Config{Listen: *mailAddr, APIListen: *mailAPI}
		if *bind != "" && !isLoopback(*bind) {
			// Clients reach a container through Docker's bridge (NAT from the
			// host, 172.16.0.0/12 or whatever the daemon chose), so the demo
			// account's 127.0.0.0/8 would lock every one of them out.
			openDemoSFTP(opts.Profiles)
			fmt.Fprintf(stderr, "annex up: warning: --bind %s: the demo SFTP account accepts logins from any address (demo credentials only)\n", *bind)
		}
		ac := alma.DemoWorkingDayConfig()
		ac.Listen = *almaAddr
		lc := aleph.DemoConfig()
		lc.Listen = *alephAddr
		lc.Ports[0].Listen = *alephPort
		opts.ALMA, opts.ALEPH = &ac, &lc
	}
	opts.DataDir = *data
	if opts.DataDir == "" {
		tmp, err := os.MkdirTemp("", "annex-up-")
		if err != nil {
			fmt.Fprintf(stderr, "annex up: %v\n", err)
			return exitTrouble
		}
		defer os.RemoveAll(tmp)
		opts.DataDir = tmp
	}
	w, err := world.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "annex up: %s\n", startError(err, engineFlag))
		return exitTrouble
	}
	gate.release(ctx)
	printEndpoints(stdout, w, opts, *config)
	log.Info("listening", "after", time.Since(started).Round(time.Millisecond))
	if *demoAuto && w.ALMA != nil {
		go demoLoop(ctx, w, log, *demoEvery)
	}
	fmt.Fprintln(stdout, "ready; interrupt to stop")
	<-ctx.Done()
	if err := w.Close(); err != nil {
		fmt.Fprintf(stderr, "annex up: shut down: %v\n", err)
		return exitTrouble
	}
	fmt.Fprintln(stdout, "stopped")
	return exitOK
}

// startError says in one line why the world did not start: a listener
// names its address and the flag that moves it, a data directory with
// history but no database names the flag that overrides.
func startError(err error, engineFlag string) string {
	var le *world.ListenError
	if errors.As(err, &le) {
		flag := map[string]string{world.PartyEngine: engineFlag, world.PartySFTP: "--sftp", world.PartyALMA: "--alma",
			world.PartyALEPH: "--aleph", world.PartyALEPHPort: "--aleph-port", world.PartyMail: "--mail", world.PartyMailAPI: "--mail-api"}[le.Party]
		return fmt.Sprintf("%v (change it with %s)", le, flag)
	}
	msg := strings.Join(strings.Fields(err.Error()), " ") // one line, whatever a cause wrapped
	switch {
	case errors.Is(err, engine.ErrHistoryWithoutStore):
		msg += " (restore the database, or start afresh with --reinit)"
	case errors.Is(err, store.ErrMalformed):
		msg += " (restore it from a backup, or move it away and start with --reinit)"
	}
	return msg
}

// checkBindHost accepts an IP address or a host name, not a host:port.
func checkBindHost(host string) error {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return fmt.Errorf("%q: want a host without a port", host)
	}
	return nil
}

// rebind replaces the host part of addr, keeping its port.
func rebind(addr, host string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(host, port)
}

// isLoopback reports whether host names only this machine; a host name other
// than localhost counts as not loopback, since it may resolve anywhere.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// openDemoSFTP lets the demo SFTP accounts log in from any IPv4 or IPv6
// source address. The profiles' SFTP settings are copied, not changed in place.
func openDemoSFTP(profiles []profile.Profile) {
	for i := range profiles {
		if s := profiles[i].Intake.SFTP; s != nil {
			open := *s
			open.AllowedNetworks = []string{"0.0.0.0/0", "::/0"}
			profiles[i].Intake.SFTP = &open
		}
	}
}

// printEndpoints tells the user where everything listens. Secrets are
// printed only for the embedded demo, whose values are public anyway; a
// --config FILE's real keys and passwords stay in FILE (docs/design.md, "Security").
func printEndpoints(out io.Writer, w *world.World, o world.Options, config string) {
	secret := func(v string) string {
		if config == "" {
			return v
		}
		return "(set in " + config + ")"
	}
	fmt.Fprintf(out, "annex up — %s (data in %s)\n", o.Facility.Name, o.DataDir)
	fmt.Fprintf(out, "  facility engine API      %s/api/   (floor operations: X-API-Key %s)\n", w.EngineURL, secret(o.Facility.APIKey))
	fmt.Fprintf(out, "  facility NCIP responder  %s/api/ncip   (DeleteItem from ALMA)\n", w.EngineURL)
	if w.SFTP != nil {
		fmt.Fprintf(out, "  SFTP                     %s\n", w.SFTP.Addr())
	}
	for _, p := range o.Profiles {
		switch {
		case p.Intake.SFTP != nil:
			fmt.Fprintf(out, "  profile %-16s SFTP account %s / %s into %s\n", p.Name, p.Intake.SFTP.Account, secret(p.Intake.SFTP.Password), p.Intake.SFTP.Directory)
		case p.Intake.APIKey != "":
			fmt.Fprintf(out, "  profile %-16s POST %s/api/requestfile/v1 with X-API-Key %s\n", p.Name, w.EngineURL, secret(p.Intake.APIKey))
		}
	}
	if w.ALMA != nil {
		fmt.Fprintf(out, "  mock ALMA  NCIP 2        %s\n", w.ALMA.NCIPURL())
		fmt.Fprintf(out, "             inspection    %s/_sim/   (POST /_sim/export pushes the request file by SFTP)\n", w.ALMA.URL())
	}
	if w.ALEPH != nil {
		fmt.Fprintf(out, "  mock ALEPH NCIP 1 HTTP   %s/ncip\n", w.ALEPH.URL())
		fmt.Fprintf(out, "             NCIP 1 port   %s\n", w.ALEPH.PortAddrs()[0])
		fmt.Fprintf(out, "             inspection    %s/_sim/   (POST /_sim/post-requests posts the hold slips)\n", w.ALEPH.URL())
	}
	if w.Mail != nil {
		fmt.Fprintf(out, "  mail catcher SMTP        %s   (the profiles' alert emails)\n", w.Mail.Addr())
		fmt.Fprintf(out, "             inspection    %s/_sim/mail\n", w.Mail.URL())
	}
	if o.ALMA != nil {
		fmt.Fprintln(out, "  the credentials and keys above are demo values only")
	}
}

func postJSON(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var v any
	json.NewDecoder(resp.Body).Decode(&v)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: HTTP %d: %v", url, resp.StatusCode, v)
	}
	return nil
}
