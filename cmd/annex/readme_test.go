package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestREADME runs every shell command of the README's ```sh and ```console
// blocks (in a console block, the lines starting with "$ "), from the
// repository root with `bash -c`, so the README cannot rot. A command is
// expected to exit 0, or with the status its trailing "# exit N" comment
// names. ```yaml, ```go and bare ``` blocks are not executed.
//
// `annex …` resolves to a binary built from this tree; "/tmp/" in a command is
// rewritten to a temporary directory of the test's own.
//
// Blocks preceded by <!-- readme-test: needs-up --> run, in order, against one
// `annex up` the test starts on ports of its own choosing (the first such
// block's `annex up …` command, or a plain `annex up` if none); their
// 127.0.0.1:77xx / :5991 / :2222 addresses and `-P 2222` are rewritten to those
// ports. Commands that cannot run unattended as written are listed in
// readmeSpecial, each with what the test does instead and why.
func TestREADME(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, filepath.Join(root, "README.md"))
	if len(cmds) == 0 {
		t.Fatal("README.md has no sh or console commands")
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "annex"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(tmp, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := &readmeRun{t: t, root: root, env: env, work: work}
	t.Cleanup(r.stopShared)

	for _, c := range cmds {
		c.cmd = strings.ReplaceAll(c.cmd, "/tmp/", work+"/")
		name := fmt.Sprintf("line%d", c.line)
		t.Run(name, func(t *testing.T) { r.run(t, c) })
	}
}

// readmeSpecial: the commands that are not run as written. Matched by prefix.
var readmeSpecial = []struct {
	prefix string
	action string // up, dry-run, docker, docker-up, skip
	reason string
}{
	{"make run", "up", "long-running: started, waited for its \"ready\" line, interrupted (on the default ports if they are free, else `make build` and the recipe's `./annex up --demo-auto` on ephemeral ports)"},
	{"annex up", "up", "long-running: started on ephemeral ports, waited for its \"ready\" line, interrupted (in a needs-up block it stays up for the following blocks)"},
	{"make test", "dry-run", "recursive (make test runs this test): `make -n test` instead"},
	{"make bench", "dry-run", "every benchmark takes minutes: `make -n bench` instead"},
	{"make fuzz", "dry-run", "every fuzz target for FUZZTIME takes minutes: `make -n fuzz` instead"},
	{"make image", "docker", "needs a Docker engine: skipped when `docker info` fails"},
	{"docker run", "docker-up", "needs a Docker engine (skipped when `docker info` fails); long-running: started with ephemeral host ports, waited for its \"ready\" line, interrupted"},
	{"annex run --update", "skip", "rewrites golden files in the working tree, which others may be editing"},
	{"go test ./ncip -update", "skip", "rewrites golden files in the working tree, which others may be editing"},
	{"go get github.com/annexlab/annex/testcontainers/annex", "skip", "meant for the user's own module (it would change annex's go.mod); testcontainers/annex's TestFreshUserModule depends on the module from a new one"},
	{"go mod edit -require github.com/annexlab/annex/testcontainers/annex", "skip", "meant for the user's own module; TestFreshUserModule does it"},
}

type readmeCmd struct {
	line    int
	cmd     string
	want    int  // expected exit status
	needsUp bool // preceded by <!-- readme-test: needs-up -->
}

var (
	readmeExitRE    = regexp.MustCompile(`#\s*exit (\d+)\s*$`)
	readmeHeredocRE = regexp.MustCompile(`<<-?\s*'?"?([A-Za-z_]+)'?"?`)
)

// readmeCommands extracts the commands of the README's sh and console blocks.
// In sh blocks, blank lines and comment lines are skipped, a trailing
// backslash continues a command, and a here-document is part of its command.
func readmeCommands(t *testing.T, path string) []readmeCmd {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var cmds []readmeCmd
	lang, inBlock, needsUp, marked := "", false, false, false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trim := strings.TrimSpace(l)
		if !inBlock {
			switch {
			case trim == "<!-- readme-test: needs-up -->":
				marked = true
			case strings.HasPrefix(trim, "```"):
				inBlock, lang, needsUp, marked = true, strings.TrimPrefix(trim, "```"), marked, false
			case trim != "":
				marked = false
			}
			continue
		}
		if trim == "```" {
			inBlock = false
			continue
		}
		var cmd string
		switch lang {
		case "sh":
			if trim == "" || strings.HasPrefix(trim, "#") {
				continue
			}
			cmd = l
		case "console":
			if !strings.HasPrefix(l, "$ ") {
				continue
			}
			cmd = strings.TrimPrefix(l, "$ ")
		default:
			continue
		}
		start := i + 1
		for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
			i++
			cmd += "\n" + strings.TrimPrefix(lines[i], "$ ")
		}
		if m := readmeHeredocRE.FindStringSubmatch(cmd); m != nil {
			for i+1 < len(lines) {
				i++
				cmd += "\n" + lines[i]
				if strings.TrimSpace(lines[i]) == m[1] {
					break
				}
			}
		}
		c := readmeCmd{line: start, cmd: cmd, needsUp: needsUp}
		if m := readmeExitRE.FindStringSubmatch(cmd); m != nil {
			c.want, _ = strconv.Atoi(m[1])
		}
		cmds = append(cmds, c)
	}
	return cmds
}

type readmeRun struct {
	t      *testing.T
	root   string
	env    []string
	work   string
	docker *bool

	shared *readmeProc       // the needs-up blocks' annex up
	ports  map[string]string // default port → shared instance's port
}

func (r *readmeRun) run(t *testing.T, c readmeCmd) {
	t.Logf("README line %d: %s", c.line, c.cmd)
	action, reason := "", ""
	for _, s := range readmeSpecial {
		if strings.HasPrefix(c.cmd, s.prefix) {
			action, reason = s.action, s.reason
			break
		}
	}
	if action != "" {
		t.Logf("special (%s): %s", action, reason)
	}
	if c.needsUp {
		for _, tool := range []string{"curl", "jq", "sftp"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("the walkthrough needs %s (make deps installs sftp): %v", tool, err)
			}
		}
		if action == "up" {
			r.startShared(t, c.cmd)
			return
		}
		if r.shared == nil {
			r.startShared(t, "annex up")
		}
		c.cmd = r.rewritePorts(c.cmd)
	}
	switch action {
	case "skip":
		t.Skip(reason)
	case "dry-run":
		fields := strings.Fields(c.cmd)
		r.expect(t, c.line, "make -n "+strings.Join(fields[1:], " "), 0)
	case "docker":
		r.needDocker(t)
		r.expect(t, c.line, c.cmd, c.want)
	case "docker-up":
		r.needDocker(t)
		name := fmt.Sprintf("annex-readme-%d", os.Getpid())
		cmd := regexp.MustCompile(`-p 127\.0\.0\.1:[0-9-]+:`).ReplaceAllString(c.cmd, "-p 127.0.0.1::")
		cmd = strings.Replace(cmd, "docker run ", "docker run --name "+name+" ", 1)
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
		p := r.start(t, cmd)
		p.waitReady(t)
		p.interrupt(t)
	case "up":
		cmd := c.cmd
		if strings.HasPrefix(cmd, "make run") {
			// Build first, so the wait for the ready line below times the
			// start-up, not a compile with a cold build cache (over 40 s on
			// a fresh clone while other packages' tests hold the CPUs).
			r.expectWithin(t, c.line, "make build", 0, 10*time.Minute)
		}
		if strings.HasPrefix(cmd, "make run") && !defaultPortsFree() {
			t.Log("a default port is in use: the recipe of `make run` on ephemeral ports")
			dry := r.output(t, "make -n run")
			if !strings.Contains(dry, "./annex up --demo-auto") {
				t.Fatalf("make -n run no longer runs ./annex up --demo-auto:\n%s", dry)
			}
			cmd = "./annex up --demo-auto" + readmeEphemeral
		} else if strings.HasPrefix(cmd, "annex up") {
			cmd += readmeEphemeral
		}
		p := r.start(t, cmd)
		p.waitReady(t)
		p.interrupt(t)
	default:
		r.expect(t, c.line, c.cmd, c.want)
	}
}

const readmeEphemeral = " --engine 127.0.0.1:0 --sftp 127.0.0.1:0 --alma 127.0.0.1:0 --aleph 127.0.0.1:0 --aleph-port 127.0.0.1:0 --mail 127.0.0.1:0 --mail-api 127.0.0.1:0"

func (r *readmeRun) needDocker(t *testing.T) {
	if r.docker == nil {
		ok := exec.Command("docker", "info").Run() == nil
		r.docker = &ok
	}
	if !*r.docker {
		t.Skip("needs a Docker engine: `docker info` fails")
	}
}

// expect runs cmd with bash -c from the repository root and checks its exit status.
func (r *readmeRun) expect(t *testing.T, line int, cmd string, want int) {
	r.expectWithin(t, line, cmd, want, 45*time.Second)
}

// expectWithin is expect with a time limit other than 45 s.
func (r *readmeRun) expectWithin(t *testing.T, line int, cmd string, want int, limit time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	c.Dir, c.Env, c.WaitDelay = r.root, r.env, 5*time.Second
	out, err := c.CombinedOutput()
	got := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		got = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("README line %d: %s: %v", line, cmd, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("README line %d: timed out: %s\n%s", line, cmd, out)
	}
	if got != want {
		t.Fatalf("README line %d: exit status %d, README says %d: %s\n%s", line, got, want, cmd, out)
	}
	t.Logf("exit %d\n%s", got, truncate(out, 2000))
}

func (r *readmeRun) output(t *testing.T, cmd string) string {
	c := exec.Command("bash", "-c", cmd)
	c.Dir, c.Env = r.root, r.env
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return string(out)
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// startShared starts the needs-up blocks' annex up on ephemeral ports and
// learns its ports from the banner.
func (r *readmeRun) startShared(t *testing.T, cmd string) {
	r.stopShared()
	r.shared = r.start(r.t, cmd+readmeEphemeral)
	banner := r.shared.waitReady(t)
	r.ports = map[string]string{}
	for def, re := range readmeBanner {
		m := re.FindStringSubmatch(banner)
		if m == nil {
			t.Fatalf("annex up's banner has no %s address:\n%s", def, banner)
		}
		r.ports[def] = m[1]
	}
	t.Logf("annex up for the walkthrough: %v", r.ports)
}

var readmeBanner = map[string]*regexp.Regexp{
	"7700": regexp.MustCompile(`facility engine API\s+http://127\.0\.0\.1:(\d+)/`),
	"7701": regexp.MustCompile(`mock ALMA\s+NCIP 2\s+http://127\.0\.0\.1:(\d+)/`),
	"7702": regexp.MustCompile(`mock ALEPH NCIP 1 HTTP\s+http://127\.0\.0\.1:(\d+)/`),
	"5991": regexp.MustCompile(`NCIP 1 port\s+127\.0\.0\.1:(\d+)`),
	"2222": regexp.MustCompile(`(?m)^\s*SFTP\s+127\.0\.0\.1:(\d+)`),
	"2525": regexp.MustCompile(`mail catcher SMTP\s+127\.0\.0\.1:(\d+)`),
	"7703": regexp.MustCompile(`(?m)^\s*inspection\s+http://127\.0\.0\.1:(\d+)/_sim/mail`),
}

func (r *readmeRun) rewritePorts(cmd string) string {
	for def, port := range r.ports {
		cmd = regexp.MustCompile(`127\.0\.0\.1:`+def+`\b`).ReplaceAllString(cmd, "127.0.0.1:"+port)
	}
	return regexp.MustCompile(`-P 2222\b`).ReplaceAllString(cmd, "-P "+r.ports["2222"])
}

func (r *readmeRun) stopShared() {
	if r.shared != nil {
		r.shared.interrupt(r.t)
		r.shared = nil
	}
}

// readmeProc is a long-running command in a process group of its own.
type readmeProc struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr bytes.Buffer
	done   chan error
}

func (r *readmeRun) start(t *testing.T, cmd string) *readmeProc {
	t.Logf("starting: %s", cmd)
	p := &readmeProc{lines: make(chan string, 1024), done: make(chan error, 1)}
	p.cmd = exec.Command("bash", "-c", "exec "+cmd)
	p.cmd.Dir, p.cmd.Env = r.root, r.env
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads any more: drop
			}
		}
		io.Copy(io.Discard, out)
		close(p.lines)
		p.done <- p.cmd.Wait()
	}()
	return p
}

// waitReady returns the output up to the line starting with "ready".
func (p *readmeProc) waitReady(t *testing.T) string {
	var seen strings.Builder
	timeout := time.After(40 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("exited before its ready line:\n%s\nstderr:\n%s", seen.String(), p.stderr.String())
			}
			seen.WriteString(l + "\n")
			if strings.HasPrefix(l, "ready") {
				return seen.String()
			}
		case <-timeout:
			p.kill()
			t.Fatalf("no ready line within 40 s:\n%s", seen.String())
		}
	}
}

// interrupt sends SIGINT to the process group and waits for it to end.
func (p *readmeProc) interrupt(t *testing.T) {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	select {
	case err := <-p.done:
		t.Logf("stopped after interrupt: %v", err)
	case <-time.After(15 * time.Second):
		p.kill()
		t.Errorf("still running 15 s after an interrupt")
	}
}

func (p *readmeProc) kill() { syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// defaultPortsFree reports whether annex up's default addresses can be bound.
func defaultPortsFree() bool {
	for _, port := range []string{"7700", "7701", "7702", "5991", "2222", "2525", "7703"} {
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
