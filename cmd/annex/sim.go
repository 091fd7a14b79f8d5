package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/sftpd"
	"github.com/annexlab/annex/simulators/smtp"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sim", "sim alma|aleph|sftp|smtp [--listen ADDR] [--port ADDR] [--api ADDR] [--config FILE] [--root DIR]", stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (HTTP for alma and aleph, SSH for sftp, SMTP for smtp)")
	api := fs.String("api", "127.0.0.1:0", "smtp: the inspection API's address")
	port := fs.String("port", "127.0.0.1:0", "aleph: the raw NCIP port's address")
	config := fs.String("config", "", "YAML configuration; without it the simulator starts with its demo state")
	root := fs.String("root", "", "sftp: the directory accounts are jailed under (default: a temporary directory)")
	pos, code, ok := parseArgs(fs, args, exactly(1))
	if !ok {
		return code
	}
	starts := map[string]func(simFlags, io.Writer) (io.Closer, error){
		"alma": startSimALMA, "aleph": startSimALEPH, "sftp": startSimSFTP, "smtp": startSimSMTP,
	}
	start, known := starts[pos[0]]
	if !known {
		fmt.Fprintf(stderr, "annex sim: unknown simulator %q: want alma, aleph, sftp or smtp\n", pos[0])
		return exitTrouble
	}
	flags := simFlags{fs: fs, listen: *listen, api: *api, port: *port, config: *config, root: *root,
		log: slog.New(slog.NewTextHandler(stderr, nil))}
	closer, err := start(flags, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "annex sim %s: %v\n", pos[0], err)
		return exitTrouble
	}
	fmt.Fprintln(stdout, "ready; interrupt to stop")
	<-ctx.Done()
	if err := closer.Close(); err != nil {
		fmt.Fprintf(stderr, "annex sim %s: close: %v\n", pos[0], err)
		return exitTrouble
	}
	return exitOK
}

// simFlags are `annex sim`'s flags, for the simulator it starts.
type simFlags struct {
	fs                              *flag.FlagSet
	listen, api, port, config, root string
	log                             *slog.Logger
}

// addr is the address a simulator listens on: the flag's value when the
// flag is given or the configuration names none, else the configuration's.
func (f simFlags) addr(flag, value, configured string) string {
	if isSet(f.fs, flag) || configured == "" {
		return value
	}
	return configured
}

// startFromConfig starts a simulator from the --config file, or from its
// demo configuration without one: set applies the command line to the
// configuration first, announce prints where the started simulator listens.
func startFromConfig[C any, S io.Closer](file string, demo func() C, load func(string) (C, error), set func(*C), start func(C) (S, error), announce func(S)) (io.Closer, error) {
	cfg := demo()
	if file != "" {
		var err error
		if cfg, err = load(file); err != nil {
			return nil, err
		}
	}
	set(&cfg)
	srv, err := start(cfg)
	if err != nil {
		return nil, err
	}
	announce(srv)
	return srv, nil
}

func startSimALMA(f simFlags, stdout io.Writer) (io.Closer, error) {
	return startFromConfig(f.config, alma.DemoWorkingDayConfig, alma.LoadConfig, func(cfg *alma.Config) {
		cfg.Listen = f.addr("listen", f.listen, cfg.Listen)
		cfg.Logger = f.log
	}, alma.Start, func(srv *alma.Server) {
		fmt.Fprintf(stdout, "mock ALMA (NCIP 2)   %s\n", srv.NCIPURL())
		fmt.Fprintf(stdout, "inspection API       %s/_sim/\n", srv.URL())
	})
}

func startSimALEPH(f simFlags, stdout io.Writer) (io.Closer, error) {
	return startFromConfig(f.config, aleph.DemoConfig, aleph.LoadConfig, func(cfg *aleph.Config) {
		cfg.Listen = f.addr("listen", f.listen, cfg.Listen)
		if len(cfg.Ports) > 0 {
			cfg.Ports[0].Listen = f.addr("port", f.port, cfg.Ports[0].Listen)
		}
		cfg.Logger = f.log
	}, aleph.Start, func(srv *aleph.Server) {
		fmt.Fprintf(stdout, "mock ALEPH (NCIP 1)  %s/ncip\n", srv.URL())
		for _, a := range srv.PortAddrs() {
			fmt.Fprintf(stdout, "ALEPH NCIP port      %s\n", a)
		}
		fmt.Fprintf(stdout, "inspection API       %s/_sim/\n", srv.URL())
	})
}

func startSimSMTP(f simFlags, stdout io.Writer) (io.Closer, error) {
	return startFromConfig(f.config, func() smtp.Config { return smtp.Config{} }, smtp.LoadConfig, func(cfg *smtp.Config) {
		cfg.Listen = f.addr("listen", f.listen, cfg.Listen)
		cfg.APIListen = f.addr("api", f.api, cfg.APIListen)
		cfg.Logger = f.log
	}, smtp.Start, func(srv *smtp.Server) {
		fmt.Fprintf(stdout, "mail catcher SMTP    %s\n", srv.Addr())
		fmt.Fprintf(stdout, "inspection API       %s/_sim/mail\n", srv.URL())
	})
}

// startSimSFTP starts the SFTP server: its --config is annex's own account
// list (sftpConfig), and --listen always applies.
func startSimSFTP(f simFlags, stdout io.Writer) (io.Closer, error) {
	cfg, err := sftpConfig(f.config, f.root)
	if err != nil {
		return nil, err
	}
	cfg.Listen = f.listen
	cfg.Logger = f.log
	cfg.OnUpload = func(u sftpd.Upload) {
		f.log.Info("upload", "account", u.Account, "path", u.Path, "size", u.Size, "remote", u.RemoteAddr)
	}
	srv, err := sftpd.Start(cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "SFTP                 %s\n", srv.Addr())
	for _, a := range cfg.Accounts {
		fmt.Fprintf(stdout, "account              %s → %s\n", a.Name, a.Root)
	}
	if f.config == "" {
		fmt.Fprintln(stdout, "demo account         alma / alma-demo from 127.0.0.0/8 (demo credentials only)")
	}
	return srv, nil
}

// sftpAccountYAML is one account in `annex sim sftp --config`.
type sftpAccountYAML struct {
	Name            string         `yaml:"name"`
	Password        string         `yaml:"password"`
	AuthorizedKeys  []string       `yaml:"authorized_keys"`
	AllowedNetworks []netip.Prefix `yaml:"allowed_networks"`
	Root            string         `yaml:"root"`
}

type sftpConfigYAML struct {
	HostKeyFile  string                   `yaml:"host_key_file"`
	MaxFileSize  int64                    `yaml:"max_file_size"`
	LoginBackoff profile.SFTPLoginBackoff `yaml:"login_backoff"`
	Accounts     []sftpAccountYAML        `yaml:"accounts"`
}

// sftpConfig reads `annex sim sftp --config FILE`, or builds the demo account.
func sftpConfig(file, root string) (sftpd.Config, error) {
	if root == "" {
		dir, err := os.MkdirTemp("", "annex-sftp-")
		if err != nil {
			return sftpd.Config{}, fmt.Errorf("root: %w", err)
		}
		root = dir
	}
	if file == "" {
		return sftpd.Config{Accounts: []sftpd.Account{{
			Name: "alma", Password: "alma-demo",
			AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Root:            filepath.Join(root, "alma"),
		}}}, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return sftpd.Config{}, err
	}
	var y sftpConfigYAML
	if err := strict.YAML(file, data, &y); err != nil {
		return sftpd.Config{}, err
	}
	b := y.LoginBackoff
	cfg := sftpd.Config{HostKeyFile: y.HostKeyFile, MaxFileSize: y.MaxFileSize,
		LoginBackoff: sftpd.LoginBackoff{After: b.After, Delay: time.Duration(b.Delay), Max: time.Duration(b.Max),
			Forget: time.Duration(b.Forget), ReplyDelay: time.Duration(b.ReplyDelay)}}
	for _, a := range y.Accounts {
		acc := sftpd.Account{Name: a.Name, Password: a.Password, AuthorizedKeys: a.AuthorizedKeys, Root: a.Root, AllowedNetworks: a.AllowedNetworks}
		if acc.Root == "" {
			acc.Root = filepath.Join(root, a.Name)
		}
		cfg.Accounts = append(cfg.Accounts, acc)
	}
	return cfg, nil
}
