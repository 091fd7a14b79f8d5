package main

import (
	"context"
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
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitTrouble
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var closer io.Closer
	switch pos[0] {
	case "alma":
		cfg := alma.DemoWorkingDayConfig()
		if *config != "" {
			if cfg, err = alma.LoadConfig(*config); err != nil {
				fmt.Fprintf(stderr, "annex sim alma: %v\n", err)
				return exitTrouble
			}
		}
		if isSet(fs, "listen") || cfg.Listen == "" {
			cfg.Listen = *listen
		}
		cfg.Logger = log
		srv, err := alma.Start(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "annex sim alma: %v\n", err)
			return exitTrouble
		}
		closer = srv
		fmt.Fprintf(stdout, "mock ALMA (NCIP 2)   %s\n", srv.NCIPURL())
		fmt.Fprintf(stdout, "inspection API       %s/_sim/\n", srv.URL())
	case "aleph":
		cfg := aleph.DemoConfig()
		if *config != "" {
			if cfg, err = aleph.LoadConfig(*config); err != nil {
				fmt.Fprintf(stderr, "annex sim aleph: %v\n", err)
				return exitTrouble
			}
		}
		if isSet(fs, "listen") || cfg.Listen == "" {
			cfg.Listen = *listen
		}
		if len(cfg.Ports) > 0 && (isSet(fs, "port") || cfg.Ports[0].Listen == "") {
			cfg.Ports[0].Listen = *port
		}
		cfg.Logger = log
		srv, err := aleph.Start(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "annex sim aleph: %v\n", err)
			return exitTrouble
		}
		closer = srv
		fmt.Fprintf(stdout, "mock ALEPH (NCIP 1)  %s/ncip\n", srv.URL())
		for _, a := range srv.PortAddrs() {
			fmt.Fprintf(stdout, "ALEPH NCIP port      %s\n", a)
		}
		fmt.Fprintf(stdout, "inspection API       %s/_sim/\n", srv.URL())
	case "sftp":
		cfg, err := sftpConfig(*config, *root)
		if err != nil {
			fmt.Fprintf(stderr, "annex sim sftp: %v\n", err)
			return exitTrouble
		}
		cfg.Addr = *listen
		cfg.Logger = log
		cfg.OnUpload = func(u sftpd.Upload) {
			log.Info("upload", "account", u.Account, "path", u.Path, "size", u.Size, "remote", u.RemoteAddr)
		}
		srv, err := sftpd.Start(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "annex sim sftp: %v\n", err)
			return exitTrouble
		}
		closer = srv
		fmt.Fprintf(stdout, "SFTP                 %s\n", srv.Addr())
		for _, a := range cfg.Accounts {
			fmt.Fprintf(stdout, "account              %s → %s\n", a.Name, a.Root)
		}
		if *config == "" {
			fmt.Fprintln(stdout, "demo account         alma / alma-demo from 127.0.0.0/8 (demo credentials only)")
		}
	case "smtp":
		var cfg smtp.Config
		if *config != "" {
			if cfg, err = smtp.LoadConfig(*config); err != nil {
				fmt.Fprintf(stderr, "annex sim smtp: %v\n", err)
				return exitTrouble
			}
		}
		if isSet(fs, "listen") || cfg.Listen == "" {
			cfg.Listen = *listen
		}
		if isSet(fs, "api") || cfg.APIListen == "" {
			cfg.APIListen = *api
		}
		cfg.Logger = log
		srv, err := smtp.Start(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "annex sim smtp: %v\n", err)
			return exitTrouble
		}
		closer = srv
		fmt.Fprintf(stdout, "mail catcher SMTP    %s\n", srv.Addr())
		fmt.Fprintf(stdout, "inspection API       %s/_sim/mail\n", srv.URL())
	default:
		fmt.Fprintf(stderr, "annex sim: unknown simulator %q: want alma, aleph, sftp or smtp\n", pos[0])
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
