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
	"github.com/annexlab/annex/simulators/faults"
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

// detach takes the running generation (nil when none runs) out of p before
// it is stopped, so that calls wait for the next generation.
func (p *annexProcess) detach() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd, drained := p.cmd, p.drained
	p.engine, p.cmd = "", nil
	p.notifyLocked()
	return cmd, drained
}

// kill ends the running generation with SIGKILL: no handler runs, nothing
// is flushed or closed; what survives is what was committed.
func (p *annexProcess) kill() error {
	cmd, drained := p.detach()
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
	cmd, drained := p.detach()
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
	return writeCrashConfigWith(tb, dir, ncipURL, inventory, concurrency, "5s", "")
}

// writeCrashConfigWith is writeCrashConfig with the attempt timeout and,
// unless empty, the profile's alma.lookup_item ("true" or "false").
func writeCrashConfigWith(tb testing.TB, dir, ncipURL string, inventory, concurrency int, timeout, lookupItem string) string {
	tb.Helper()
	lookup := ""
	if lookupItem != "" {
		lookup = "\n  lookup_item: " + lookupItem
	}
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
  checkout_user: ANNEX-USER%s
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
  timeout: %s
  concurrency: %d
`, ncipURL, lookup, timeout, concurrency)
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

// crashPost posts body to the engine with the crash test's key. A
// transport error, or an answer cut off mid-body, means the process died
// and is returned as err; an answer is its status and trimmed body.
func crashPost(ctx context.Context, client *http.Client, url, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-API-Key", crashAPIKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, bytes.TrimSpace(b), nil
}

// postRetrieve asks the engine to retrieve an item; a transport error (the
// process died) is returned as err, an answer as its status.
func postRetrieve(ctx context.Context, client *http.Client, engine, barcode string) (int, string, error) {
	status, b, err := crashPost(ctx, client, engine+"/api/floor/v1/retrieve", "application/json", []byte(`{"barcode":"`+barcode+`"}`))
	return status, string(b), err
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

// crashOpts sizes one crash-safety run.
type crashOpts struct {
	n, kills int
	// files is how many request files bring the n requests: even ones by
	// SFTP, odd ones by REST (POST /api/requestfile/v1).
	files int
	// lookupItem is the profile's alma.lookup_item: "true" or "false".
	lookupItem string
	// faults makes mock ALMA misbehave on about 30 % of NCIP messages.
	faults bool
}

// crashFaults are about 30 % faults on every NCIP message, lookups
// included: some replace processing (503, a reset, no answer), some come
// after it — a reply later than the attempt timeout, a reset after the
// work was done — which is where a blind resend applies a message twice.
// (Rules are drawn in turn, so the total is 1 − Π(1 − p) ≈ 30 %.)
func crashFaults() []faults.Fault {
	return []faults.Fault{
		{Kind: faults.StatusFault{Status: http.StatusServiceUnavailable}, Probability: 0.06},
		{Kind: faults.ResetFault{}, Probability: 0.06},
		{Kind: faults.NoAnswerFault{}, Probability: 0.05},
		{Kind: faults.LatencyFault{Latency: faults.Duration(time.Hour)}, AfterProcessing: true, Probability: 0.10},
		{Kind: faults.ResetFault{}, AfterProcessing: true, Probability: 0.06},
	}
}

// crashResult is what a run found.
type crashResult struct {
	kills, exchanges, lookups, doubles, reconciled int
	took                                           time.Duration
}

// TestCrashSafety is DESIGN §3 "nothing lost, nothing done twice" against
// kill -9: the annex binary runs the facility (`annex up --config`) as its
// own process; requests arrive from mock ALMA in several files, by SFTP and
// by REST, and are retrieved one by one and by pick lists, while mock ALMA
// answers about 30 % of NCIP messages with faults, late replies included,
// and the process is killed with SIGKILL at random moments (10 times) and
// restarted on the same data directory. No request is lost, every owed
// CheckOutItem is delivered, and with lookups (alma.lookup_item: true) no
// CheckOutItem takes effect twice in mock ALMA: every item is in transit,
// exactly once. The same run without lookups reports how many items were
// checked out twice (at-least-once delivery). make soak runs the full size
// (TestCrashSafetySoak).
func TestCrashSafety(t *testing.T) {
	crashWithAndWithoutLookups(t, crashOpts{n: 600, kills: 10, files: 6, faults: true}, crashOpts{n: 300, kills: 5, files: 2, faults: true})
}

// TestCrashSafetySoak is TestCrashSafety at the size issue 11 asks for:
// 2,000 requests, 12 kills, for a profile with lookups and one without.
// It runs under make soak (ANNEX_SOAK=1), not make test.
func TestCrashSafetySoak(t *testing.T) {
	if os.Getenv("ANNEX_SOAK") == "" {
		t.Skip("set ANNEX_SOAK=1 (make soak) to run the 2,000-request crash soak")
	}
	soak := crashOpts{n: 2000, kills: 12, files: 10, faults: true}
	crashWithAndWithoutLookups(t, soak, soak)
}

// crashWithAndWithoutLookups makes a crash-safety run for a profile with
// lookups, where no CheckOutItem may take effect twice, and one for a
// profile without, which reports how many did.
func crashWithAndWithoutLookups(t *testing.T, lookups, noLookups crashOpts) {
	bin := buildAnnex(t)
	t.Run("lookups", func(t *testing.T) {
		lookups.lookupItem = "true"
		r := crashRun(t, bin, lookups)
		if r.doubles > 0 {
			t.Errorf("%d items took a CheckOutItem twice in mock ALMA, want 0 with lookups", r.doubles)
		}
	})
	t.Run("no lookups", func(t *testing.T) {
		noLookups.lookupItem = "false"
		crashRun(t, bin, noLookups)
	})
}

// crashALMAParts splits the requests of st into files request files as
// mock ALMA's export job writes them: each file is built with only its
// part of the requests pending. It leaves every request exported.
func crashALMAParts(tb testing.TB, as *alma.Server, st alma.State, files int) (names []string, data [][]byte) {
	tb.Helper()
	n := len(st.Requests)
	for f := range files {
		part := st
		part.Requests = slices.Clone(st.Requests)
		for i := range part.Requests {
			if i*files/n != f {
				part.Requests[i].Step = alma.StepExported
			}
		}
		as.SetState(part)
		name, file, ids, err := as.BuildExport()
		if err != nil || len(ids) == 0 {
			tb.Fatalf("export part %d: %d requests, %v", f, len(ids), err)
		}
		names = append(names, fmt.Sprintf("%s-part%02d.xml", strings.TrimSuffix(name, ".xml"), f))
		data = append(data, file)
	}
	for i := range st.Requests {
		st.Requests[i].Step = alma.StepExported
	}
	as.SetState(st)
	return names, data
}

// postFile posts a request file to the engine's REST API for the profile.
func postFile(ctx context.Context, client *http.Client, engine, name string, data []byte) (int, string, error) {
	status, b, err := crashPost(ctx, client, engine+"/api/requestfile/v1?profile=alma-crash", "application/xml", data)
	return status, string(b), err
}

// crashPickList asks the engine to retrieve a pick list; per-item errors
// come back in the answer.
func crashPickList(ctx context.Context, client *http.Client, engine string, barcodes []string) (int, []struct{ Barcode, Error string }, error) {
	body, _ := json.Marshal(map[string][]string{"barcodes": barcodes})
	status, b, err := crashPost(ctx, client, engine+"/api/floor/v1/picklist", "application/json", body)
	if err != nil {
		return 0, nil, err
	}
	var out struct {
		Results []struct{ Barcode, Error string }
	}
	if status == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			return 0, nil, err
		}
	}
	return status, out.Results, nil
}

// listUntilUp is apiList from whichever generation of the process is up.
func listUntilUp[T any](ctx context.Context, t *testing.T, proc *annexProcess, path, key string) []T {
	t.Helper()
	var rows []T
	_, err := untilUp(ctx, proc, func(_ int, engine, _ string) (err error) {
		rows, err = apiList[T](ctx, engine, path, key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// apiList reads every page of one of the engine's listings (key is the
// JSON field of the rows), following "next".
func apiList[T any](ctx context.Context, engine, path, key string) ([]T, error) {
	var all []T
	for next := path + "?limit=10000"; next != ""; {
		var page map[string]json.RawMessage
		if err := apiGet(ctx, engine+next, &page); err != nil {
			return nil, err
		}
		var rows []T
		if err := json.Unmarshal(page[key], &rows); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		all = append(all, rows...)
		next = ""
		if raw, ok := page["next"]; ok {
			json.Unmarshal(raw, &next)
		}
	}
	return all, nil
}

// untilUp runs call against the running generation until it gets through,
// moving to the next generation whenever a kill cuts it off.
func untilUp(ctx context.Context, proc *annexProcess, call func(gen int, engine, sftpAddr string) error) (retried bool, err error) {
	after := 0
	for {
		gen, engine, sftpAddr, err := proc.up(ctx, after)
		if err != nil {
			return retried, err
		}
		if err := call(gen, engine, sftpAddr); err != nil {
			if ctx.Err() != nil {
				return retried, err
			}
			after, retried = gen, true
			continue
		}
		return retried, nil
	}
}

// crashRun is one crash-safety run; it fails t on anything lost or
// missing and returns what it counted.
func crashRun(t *testing.T, bin string, o crashOpts) crashResult {
	seed := crashSeed(t)
	t.Logf("seed %d (repeat with ANNEX_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	n := o.n

	state := crashALMAState(n)
	as, err := alma.Start(alma.Config{Agencies: []string{"CAIASOFT"}, State: state, JournalMax: 100 * n,
		FaultSeed: seed, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	names, files := crashALMAParts(t, as, state, o.files)
	dir := t.TempDir()
	// Four messages in flight and a short attempt timeout: a late reply
	// costs little, and answers slower than the timeout under load are
	// just more ambiguous outcomes for the lookups to settle.
	facFile := writeCrashConfigWith(t, dir, as.NCIPURL(), n, 4, "300ms", o.lookupItem)
	proc := newAnnexProcess(t, bin, "up", "--config", facFile, "--data", filepath.Join(dir, "data"),
		"--engine", "127.0.0.1:0", "--sftp", "127.0.0.1:0")
	if err := proc.start(); err != nil {
		t.Fatal(err)
	}
	defer proc.kill() // a failed test leaves no process behind
	if o.faults {
		for _, f := range crashFaults() {
			b, _ := json.Marshal(f)
			resp, err := http.Post(as.URL()+"/_sim/faults", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("install fault %s: HTTP %d", f.Kind, resp.StatusCode)
			}
		}
	}

	// Progress, in units the killer's marks are drawn from: each file
	// uploaded counts n/files (the arrival phase spans n), each floor
	// answer 1, each CheckOutItem mock ALMA receives 1 — at least 3n in all.
	prog := &progress{changed: make(chan struct{})}
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
	marks := make([]int, o.kills)
	for i := range marks {
		marks[i] = 10 + rng.IntN(3*n-60)
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

	// Arrival: the files go up one after another, alternately by SFTP and
	// REST; one cut off by a kill goes up again to the next generation (the
	// engine skips the request ids it already has).
	client := &http.Client{Timeout: 60 * time.Second}
	for f := range files {
		_, err := untilUp(ctx, proc, func(_ int, engine, sftpAddr string) error {
			if f%2 == 0 {
				return uploadFile(sftpAddr, names[f], files[f])
			}
			status, body, err := postFile(ctx, client, engine, names[f], files[f])
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("HTTP %d: %s", status, body)
			}
			return err
		})
		if err != nil {
			t.Fatalf("file %d: %v", f, err)
		}
		prog.update(func() { prog.floor += n / o.files })
	}
	// Every request is accepted exactly once, whatever was cut off: a file
	// that landed before a kill is taken up again by the next generation
	// (at start, or by its inbox rescan), so the listing is polled.
	type reqRow struct{ ID, Barcode, Status string }
	var accepted []string
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		reqs := listUntilUp[reqRow](ctx, t, proc, "/api/requests/v1", "requests")
		ids := map[string]int{}
		accepted = accepted[:0]
		for _, r := range reqs {
			ids[r.ID]++
			if r.Status == "accepted" {
				accepted = append(accepted, r.Barcode)
			}
		}
		if len(ids) == n {
			for id, c := range ids {
				if c != 1 {
					t.Errorf("request %s recorded %d times", id, c)
				}
			}
			if len(accepted) != n {
				t.Fatalf("%d of %d requests accepted", len(accepted), n)
			}
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("%d of %d requests arrived: %v", len(ids), n, ctx.Err())
		}
	}

	// Retrieval: half one by one (four floor workers), half by pick lists
	// of 50; a call cut off by a kill is made again to the next generation.
	var interrupted atomic.Int32
	// retry makes a floor call until a generation answers it, counting the
	// calls a kill cut off.
	retry := func(call func(engine string) error) (retried bool, err error) {
		return untilUp(ctx, proc, func(_ int, engine, _ string) error {
			err := call(engine)
			if err != nil {
				interrupted.Add(1)
			}
			return err
		})
	}
	errs := make(chan error, n)
	single, picked := accepted[:n/2], accepted[n/2:]
	next := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for barcode := range next {
				var status int
				var body string
				retried, err := retry(func(engine string) (err error) {
					status, body, err = postRetrieve(ctx, client, engine, barcode)
					return err
				})
				switch {
				case err != nil:
					errs <- fmt.Errorf("retrieve %s: %w", barcode, err)
				case status == http.StatusOK, status == http.StatusConflict && retried:
					// 409 after a cut-off call: that call had committed.
				default:
					errs <- fmt.Errorf("retrieve %s: HTTP %d: %s", barcode, status, body)
				}
				prog.update(func() { prog.floor++ })
			}
		})
	}
	wg.Go(func() {
		for list := range slices.Chunk(picked, 50) {
			var status int
			var results []struct{ Barcode, Error string }
			retried, err := retry(func(engine string) (err error) {
				status, results, err = crashPickList(ctx, client, engine, list)
				return err
			})
			switch {
			case err != nil:
				errs <- fmt.Errorf("pick list: %w", err)
			case status != http.StatusOK:
				errs <- fmt.Errorf("pick list: HTTP %d", status)
			default:
				for _, r := range results {
					if r.Error != "" && !retried {
						errs <- fmt.Errorf("pick list: %s: %s", r.Barcode, r.Error)
					}
				}
			}
			prog.update(func() { prog.floor += len(list) })
		}
	})
	for _, b := range single {
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
		return crashResult{}
	}

	// Every owed CheckOutItem is delivered: the outbox drains (polled, as
	// the engine has no "idle" event on its API).
	type msgRow struct {
		Service, Barcode, Status string
		Reconciled               bool
	}
	reconciled := 0
	for {
		box := listUntilUp[msgRow](ctx, t, proc, "/api/outbox/v1", "messages")
		pending, delivered := 0, map[string]int{}
		reconciled = 0
		for _, m := range box {
			switch m.Status {
			case "pending":
				pending++
			case "delivered":
				delivered[m.Barcode]++
				if m.Reconciled {
					reconciled++
				}
			default:
				t.Errorf("outbox: %s for %s is %s", m.Service, m.Barcode, m.Status)
			}
		}
		if pending == 0 {
			missing := 0
			for _, b := range accepted {
				if delivered[b] != 1 {
					missing++
				}
			}
			if missing > 0 || len(box) != n {
				t.Errorf("outbox: %d messages for %d items; %d items without exactly one delivered CheckOutItem", len(box), n, missing)
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

	// Mock ALMA's state is the business effect: a requested item checked
	// out once is in transit; checked out again it finds no open request
	// and goes on loan.
	r := crashResult{kills: int(killed.Load()), reconciled: reconciled, took: time.Since(start)}
	notOut := 0
	for _, it := range as.State().Items {
		switch it.Status {
		case alma.StatusInTransit:
		case alma.StatusOnLoan:
			r.doubles++
		default:
			notOut++
		}
	}
	for _, e := range as.Journal().All() {
		switch {
		case checkOutBarcode(e) != "":
			r.exchanges++
		case e.Direction == "in" && e.Service == "LookupItem":
			r.lookups++
		}
	}
	t.Logf("lookup_item %s: %d requests in %d files (SFTP and REST), %d kills (marks %v), %d calls cut off and resent; "+
		"%d CheckOutItem and %d LookupItem exchanges with mock ALMA (faults: %v); %d messages delivered after reconciliation; "+
		"%d items checked out twice; %.1fs",
		o.lookupItem, n, o.files, r.kills, marks, interrupted.Load(), r.exchanges, r.lookups, o.faults, r.reconciled, r.doubles, r.took.Seconds())
	if r.kills < o.kills {
		t.Errorf("only %d kills, want %d", r.kills, o.kills)
	}
	if notOut > 0 {
		t.Errorf("%d items never reached mock ALMA as checked out", notOut)
	}
	return r
}
