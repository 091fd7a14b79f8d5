package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
)

// buildAnnex builds the cgo-free annex binary from this package's source,
// as `make build` does, into the test's temporary directory.
func buildAnnex(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out := filepath.Join(tb.TempDir(), "annex")
	cmd := exec.Command(goBin, "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

var (
	engineLineRE = regexp.MustCompile(`facility engine API\s+(http://\S+?)/api/`)
	sftpLineRE   = regexp.MustCompile(`^\s*SFTP\s+(\S+)`)
)

// annexProcess runs `annex up` as a child process, one generation after
// another: kill ends a generation with SIGKILL, start begins the next on
// the same data directory. Every generation listens on ports it chooses
// itself (127.0.0.1:0) and prints them, so there is no window in which a
// port picked by the test could be taken by someone else.
type annexProcess struct {
	bin  string
	args []string
	log  *os.File // stderr of every generation, one after the other

	mu      sync.Mutex
	gen     int
	engine  string // the running generation's base URL; "" while down
	sftp    string
	cmd     *exec.Cmd
	drained chan struct{}
	changed chan struct{} // closed and replaced whenever gen or engine change
}

func newAnnexProcess(tb testing.TB, bin string, args ...string) *annexProcess {
	tb.Helper()
	log, err := os.Create(filepath.Join(tb.TempDir(), "annex-up.log"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// The log goes with the temporary directory: show its end on failure.
		if tb.Failed() {
			log.Seek(0, io.SeekStart)
			b, _ := io.ReadAll(log)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			tb.Logf("annex up's log, last lines:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
		log.Close()
	})
	return &annexProcess{bin: bin, args: args, log: log, changed: make(chan struct{})}
}

func (p *annexProcess) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// start runs a new generation and returns once it printed its "ready" line.
func (p *annexProcess) start() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = w, p.log
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return fmt.Errorf("start annex up: %w", err)
	}
	w.Close() // the child holds its own copy; EOF then means the child is gone
	var engine, sftpAddr string
	ready := false
	sc := bufio.NewScanner(r)
	for !ready && sc.Scan() {
		line := sc.Text()
		if m := engineLineRE.FindStringSubmatch(line); m != nil {
			engine = m[1]
		}
		if m := sftpLineRE.FindStringSubmatch(line); m != nil {
			sftpAddr = m[1]
		}
		ready = strings.HasPrefix(line, "ready")
	}
	if !ready || engine == "" {
		r.Close()
		err := cmd.Wait()
		return fmt.Errorf("annex up did not get ready (%v, engine %q)", err, engine)
	}
	drained := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r) // a full pipe would block the child
		r.Close()
		close(drained)
	}()
	p.mu.Lock()
	p.gen++
	p.engine, p.sftp, p.cmd, p.drained = engine, sftpAddr, cmd, drained
	p.notifyLocked()
	p.mu.Unlock()
	return nil
}

// kill ends the running generation with SIGKILL: no handler runs, nothing
// is flushed or closed; what survives is what was committed.
func (p *annexProcess) kill() error {
	p.mu.Lock()
	cmd, drained := p.cmd, p.drained
	p.engine, p.cmd = "", nil
	p.notifyLocked()
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill annex up: %w", err)
	}
	cmd.Wait() // "signal: killed", by design
	<-drained
	return nil
}

// interrupt stops the running generation as a person would (Ctrl-C) and
// returns its exit code.
func (p *annexProcess) interrupt() (int, error) {
	p.mu.Lock()
	cmd, drained := p.cmd, p.drained
	p.engine, p.cmd = "", nil
	p.notifyLocked()
	p.mu.Unlock()
	if cmd == nil {
		return 0, nil
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, err
	}
	err := cmd.Wait()
	<-drained
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// up waits for a running generation newer than after and returns it.
func (p *annexProcess) up(ctx context.Context, after int) (gen int, engine, sftpAddr string, err error) {
	for {
		p.mu.Lock()
		gen, engine, sftpAddr, ch := p.gen, p.engine, p.sftp, p.changed
		p.mu.Unlock()
		if engine != "" && gen > after {
			return gen, engine, sftpAddr, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, "", "", fmt.Errorf("waiting for annex up: %w", ctx.Err())
		}
	}
}

// progress counts what the system has done: floor calls answered and
// CheckOutItems mock ALMA received. The killer strikes at random counts,
// so kills land wherever the work is, without timers.
type progress struct {
	mu          sync.Mutex
	floor, alma int
	changed     chan struct{}
}

func (p *progress) update(f func()) {
	p.mu.Lock()
	f()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

func (p *progress) waitFor(ctx context.Context, n int) error {
	for {
		p.mu.Lock()
		done, ch := p.floor+p.alma >= n, p.changed
		p.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// crashBarcode is item i's barcode, fixed-width so no barcode contains another.
func crashBarcode(i int) string { return fmt.Sprintf("3903%010d", i) }

// crashALMAState is mock ALMA's institution with n items in remote storage
// (MAIN/ANNEX), each with a pending PATRON_PHYSICAL request, and the facility's
// partner agency, profile, desk and check-out user.
func crashALMAState(n int) alma.State {
	st := alma.State{
		Institution: "01ANNEX_INST",
		Profiles:    []alma.Profile{{Code: "ANNEX", Locations: []alma.LocationRef{{Library: "MAIN", Location: "ANNEX"}}}},
		Libraries: []alma.Library{{Code: "MAIN", Locations: []alma.Location{{Code: "STACKS"}, {Code: "ANNEX", RemoteStorage: true}},
			Desks: []alma.Desk{{Code: "CIRC"}}}},
		Users: []alma.User{{ID: "ANNEX-USER"}, {ID: "P000123"}},
	}
	for i := range n {
		st.Items = append(st.Items, alma.Item{Barcode: crashBarcode(i), Library: "MAIN", Location: "ANNEX", MaterialType: "BOOK",
			MMSID: fmt.Sprintf("99%012d", i), ItemID: fmt.Sprintf("23%012d", i), Status: alma.StatusInPlace})
		st.Requests = append(st.Requests, alma.Request{ID: fmt.Sprintf("REQ-%06d", i), Type: "PATRON_PHYSICAL", Barcode: crashBarcode(i),
			PickupLibrary: "MAIN", PickupLocation: "CIRC", Patron: alma.Patron{Name: "Ada Reader", Identifier: "P000123"}})
	}
	return st
}

const crashAPIKey = "crash-test-facility-key-0123456789"

// writeCrashConfig writes the facility file (its inventory is the first
// inventory items) and its one ALMA profile, pointed at mock ALMA, sending
// up to concurrency messages at once, and returns the facility file.
func writeCrashConfig(tb testing.TB, dir, ncipURL string, inventory, concurrency int) string {
	tb.Helper()
	var fac strings.Builder
	fmt.Fprintf(&fac, `name: crash test facility
api_key: %s
stops:
  - {code: MAIN-CIRC, name: Main Library circulation desk, active: true}
profiles:
  - alma.yaml
inventory:
`, crashAPIKey)
	for i := range inventory {
		fmt.Fprintf(&fac, "  - {barcode: %q, collection: MAIN-ANNEX, material: BOOK, tray: R01-S01-T%04d, profile: alma-crash}\n", crashBarcode(i), i)
	}
	if inventory == 0 {
		fac.WriteString("  []\n")
	}
	prof := fmt.Sprintf(`name: alma-crash
system: alma
alma:
  ncip_url: %s
  from_agency: CAIASOFT
  to_agency: 01ANNEX_INST
  profile_code: ANNEX
  desk: CIRC
  desks: {MAIN: MAIN.CIRC}
  checkout_user: ANNEX-USER
translation:
  collections: {MAIN/ANNEX: MAIN-ANNEX}
  materials: {BOOK: BOOK}
  stops:
    libraries: {MAIN: MAIN-CIRC}
intake:
  format: alma-rsexport
  sftp:
    account: alma
    password: crash-test-sftp-password
    allowed_networks: [127.0.0.0/8]
    directory: 01ANNEX_INST/requests
retry:
  initial: 10ms
  max: 100ms
  timeout: 5s
  concurrency: %d
`, ncipURL, concurrency)
	facFile := filepath.Join(dir, "facility.yaml")
	if err := os.WriteFile(facFile, []byte(fac.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alma.yaml"), []byte(prof), 0o644); err != nil {
		tb.Fatal(err)
	}
	return facFile
}

// uploadExport pushes mock ALMA's request file to the facility over SFTP,
// as ALMA's export job does. The server hands the file to the engine
// before it answers the close, so the requests are decided on return.
func uploadExport(tb testing.TB, addr string, as *alma.Server) int {
	tb.Helper()
	name, data, ids, err := as.BuildExport()
	if err != nil {
		tb.Fatal(err)
	}
	if err := uploadFile(addr, name, data); err != nil {
		tb.Fatal(err)
	}
	return len(ids)
}

// uploadFile uploads one file into the ALMA profile's SFTP directory.
func uploadFile(addr, name string, data []byte) error {
	conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "alma", Auth: []ssh.AuthMethod{ssh.Password("crash-test-sftp-password")},
		// The host key was generated by annex up a moment ago; there is nothing to pin it to.
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		return err
	}
	defer c.Close()
	dir := "01ANNEX_INST/requests"
	if err := c.MkdirAll(dir); err != nil {
		return err
	}
	f, err := c.Create(path.Join(dir, name))
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		return err
	}
	return f.Close()
}

// apiGet reads one of the engine's listings.
func apiGet(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-API-Key", crashAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("get %s: HTTP %d: %s", url, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// postRetrieve asks the engine to retrieve an item; a transport error (the
// process died) is returned as err, an answer as its status.
func postRetrieve(ctx context.Context, client *http.Client, engine, barcode string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, engine+"/api/floor/v1/retrieve",
		strings.NewReader(`{"barcode":"`+barcode+`"}`))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", crashAPIKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err // cut off mid-answer: the process died
	}
	return resp.StatusCode, string(bytes.TrimSpace(b)), nil
}

// checkOutBarcode reads the item of an incoming CheckOutItem ("" for anything else).
func checkOutBarcode(e journal.Exchange) string {
	if e.Direction != "in" || e.Service != "CheckOutItem" {
		return ""
	}
	msg, _, err := ncip.Decode(e.Request, ncip.ParseOptions{})
	if err != nil {
		return ""
	}
	if b, ok := msg.Body.(*ncip.CheckOutItem); ok {
		return b.ItemId.ItemIdentifierValue
	}
	return ""
}

// crashSeed is the killer's seed: ANNEX_CRASH_SEED repeats a run.
func crashSeed(t *testing.T) uint64 {
	if s := os.Getenv("ANNEX_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ANNEX_CRASH_SEED=%q: %v", s, err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

// TestCrashSafety is DESIGN §3 "Nothing lost" against kill -9: the annex
// binary runs the facility (`annex up --config`) as its own process, 1,000
// requests arrive from mock ALMA by SFTP, and 1,000 retrievals are posted
// while the process is killed with SIGKILL at random moments and restarted
// on the same data directory. Every CheckOutItem owed must reach mock
// ALMA; a duplicate is only possible for a message in flight when a kill
// landed, so there are at most as many as kills (concurrency 1).
func TestCrashSafety(t *testing.T) {
	const (
		n     = 1000
		kills = 6
	)
	seed := crashSeed(t)
	t.Logf("seed %d (repeat with ANNEX_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bin := buildAnnex(t)
	built := time.Now()

	as, err := alma.Start(alma.Config{Agencies: []string{"CAIASOFT"}, State: crashALMAState(n), JournalMax: 100000,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	dir := t.TempDir()
	// Concurrency 1: at most one message is between "ALMA processed it"
	// and "the engine recorded it" when a kill lands, so each kill can
	// cause at most one duplicate. With concurrency C the bound is C per kill.
	facFile := writeCrashConfig(t, dir, as.NCIPURL(), n, 1)
	proc := newAnnexProcess(t, bin, "up", "--config", facFile, "--data", filepath.Join(dir, "data"),
		"--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0")
	if err := proc.start(); err != nil {
		t.Fatal(err)
	}
	defer proc.kill() // a failed test leaves no process behind
	_, engine, sftpAddr, err := proc.up(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := uploadExport(t, sftpAddr, as); got != n {
		t.Fatalf("mock ALMA exported %d requests, want %d", got, n)
	}
	var reqs struct {
		Requests []struct{ ID, Barcode, Status string }
	}
	if err := apiGet(ctx, engine+"/api/requests/v1", &reqs); err != nil {
		t.Fatal(err)
	}
	var todo []string
	for _, r := range reqs.Requests {
		if r.Status == "accepted" {
			todo = append(todo, r.Barcode)
		}
	}
	if len(todo) != n {
		t.Fatalf("%d of %d requests accepted", len(todo), n)
	}

	prog := &progress{changed: make(chan struct{})}
	// The journal watcher turns mock ALMA's exchanges into progress.
	go func() {
		seen := 0
		for ctx.Err() == nil {
			all, err := as.Journal().Wait(ctx, func(all []journal.Exchange) bool { return len(all) > seen })
			if err != nil {
				return
			}
			seen = len(all)
			co := 0
			for _, e := range all {
				if e.Service == "CheckOutItem" {
					co++
				}
			}
			prog.update(func() { prog.alma = co })
		}
	}()

	// The killer strikes when the count of floor answers plus ALMA
	// exchanges reaches each of its random marks; the final count is at
	// least 2n, so every mark below it is reached.
	marks := make([]int, kills)
	for i := range marks {
		marks[i] = 50 + rng.IntN(2*n-100)
	}
	slices.Sort(marks)
	killerDone := make(chan error, 1)
	var killed atomic.Int32
	go func() {
		killerDone <- func() error {
			for _, m := range marks {
				if err := prog.waitFor(ctx, m); err != nil {
					return fmt.Errorf("waiting for mark %d: %w", m, err)
				}
				if err := proc.kill(); err != nil {
					return err
				}
				killed.Add(1)
				if err := proc.start(); err != nil {
					return err
				}
			}
			return nil
		}()
	}()

	// Four floor workers retrieve every accepted request; a call cut off by
	// a kill is sent again to the next generation.
	client := &http.Client{Timeout: 30 * time.Second}
	var interrupted, confirmed atomic.Int32
	next := make(chan string)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for barcode := range next {
				after, retried := 0, false
				for {
					gen, engine, _, err := proc.up(ctx, after)
					if err != nil {
						errs <- fmt.Errorf("retrieve %s: %w", barcode, err)
						break
					}
					status, body, err := postRetrieve(ctx, client, engine, barcode)
					if err != nil {
						after, retried = gen, true
						interrupted.Add(1)
						continue
					}
					switch {
					case status == http.StatusOK:
					case status == http.StatusConflict && retried:
						// The call cut off by the kill had committed: the item is already out.
						confirmed.Add(1)
					default:
						errs <- fmt.Errorf("retrieve %s: HTTP %d: %s", barcode, status, body)
					}
					prog.update(func() { prog.floor++ })
					break
				}
			}
		})
	}
	for _, b := range todo {
		next <- b
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-killerDone; err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		return
	}

	// Every owed CheckOutItem arrives: waited for on mock ALMA's journal.
	want := map[string]bool{}
	for _, b := range todo {
		want[b] = true
	}
	_, err = as.Journal().Wait(ctx, func(all []journal.Exchange) bool {
		got := map[string]bool{}
		for _, e := range all {
			if b := checkOutBarcode(e); want[b] && e.Fault == "" && len(e.Problems) == 0 {
				got[b] = true
			}
		}
		return len(got) == len(want)
	})
	if err != nil {
		t.Fatalf("not every CheckOutItem arrived: %v", err)
	}
	// Then the outbox drains (a duplicate may still be on its way). The
	// engine has no "idle" event on its API, so its listing is polled.
	_, engine, _, err = proc.up(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var box struct {
			Messages []struct{ Service, Barcode, Status string }
		}
		if err := apiGet(ctx, engine+"/api/outbox/v1", &box); err != nil {
			t.Fatal(err)
		}
		pending, delivered := 0, 0
		for _, m := range box.Messages {
			switch m.Status {
			case "pending":
				pending++
			case "delivered":
				delivered++
			default:
				t.Errorf("outbox: %s for %s is %s", m.Service, m.Barcode, m.Status)
			}
		}
		if pending == 0 {
			if delivered != n {
				t.Errorf("outbox: %d messages delivered, want %d", delivered, n)
			}
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("outbox still has %d pending messages: %v", pending, ctx.Err())
		}
	}
	if code, err := proc.interrupt(); err != nil || code != exitOK {
		t.Errorf("annex up after an interrupt: exit %d, %v", code, err)
	}

	perItem := map[string]int{}
	for _, e := range as.Journal().All() {
		if b := checkOutBarcode(e); b != "" {
			perItem[b]++
		}
	}
	missing, duplicates := 0, 0
	for b := range want {
		switch c := perItem[b]; {
		case c == 0:
			missing++
		case c > 1:
			duplicates += c - 1
			t.Logf("duplicate: %s received %d CheckOutItems", b, c)
		}
	}
	k := int(killed.Load())
	t.Logf("%d items, %d kills (marks %v), %d floor calls cut off and resent (%d had committed), %d CheckOutItems missing, %d duplicates; %.1fs after the build",
		n, k, marks, interrupted.Load(), confirmed.Load(), missing, duplicates, time.Since(built).Seconds())
	if k < 5 {
		t.Errorf("only %d kills, want at least 5", k)
	}
	if missing > 0 {
		t.Errorf("%d owed CheckOutItems never reached ALMA", missing)
	}
	if duplicates > k {
		t.Errorf("%d duplicate CheckOutItems after %d kills: more than one message per kill was resent", duplicates, k)
	}
}
