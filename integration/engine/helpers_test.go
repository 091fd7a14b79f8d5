package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/annexlab/annex/integration/api"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/internal/xmllint"
	"github.com/annexlab/annex/ncip/compare"
	"github.com/annexlab/annex/simulators/aleph"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/sftpd"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// clock is the fixed time of every test world.
func clock() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// fastRetry keeps fault tests short.
func fastRetry() profile.Retry {
	return profile.Retry{Initial: profile.Duration(5 * time.Millisecond), Max: profile.Duration(40 * time.Millisecond),
		Timeout: profile.Duration(2 * time.Second), Concurrency: 2}
}

// almaWorld is mock ALMA, the facility's SFTP server and the engine, wired as annex up wires them.
type almaWorld struct {
	alma    *alma.Server
	sftp    *sftpd.Server
	eng     *engine.Engine
	cfg     engine.Config
	dataDir string
}

func newALMAWorld(t *testing.T, mut func(*engine.Config, *alma.Config)) *almaWorld {
	t.Helper()
	w := &almaWorld{dataDir: t.TempDir()}
	fac, profs := profile.DemoFacility()
	p := profs[0]
	p.Retry = fastRetry()
	var eng *engine.Engine
	// The SFTP server comes first: mock ALMA needs its address, the engine mock ALMA's.
	up := make(chan error, 16)
	srv := startServer(t, sftpd.Start, sftpd.Config{
		Accounts: []sftpd.Account{{Name: p.Intake.SFTP.Account, Password: p.Intake.SFTP.Password,
			AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Root: filepath.Join(w.dataDir, "sftp", p.Intake.SFTP.Account)}},
		OnUpload: func(u sftpd.Upload) { up <- eng.FileArrived(context.Background(), u.LocalPath) },
	})
	w.sftp = srv
	acfg := alma.DemoConfig()
	acfg.Clock = clock
	acfg.Logger = logger(t)
	acfg.Export.SFTPAddr = srv.Addr()
	ecfg := engine.Config{Facility: fac, Profiles: []profile.Profile{p}, DataDir: w.dataDir, Clock: clock, Logger: logger(t)}
	ecfg.Facility.Inventory = slices.DeleteFunc(ecfg.Facility.Inventory, func(it profile.InventoryItem) bool { return it.Profile != p.Name })
	if mut != nil {
		mut(&ecfg, &acfg)
	}
	as := startServer(t, alma.Start, acfg)
	w.alma = as
	for i := range ecfg.Profiles {
		if ecfg.Profiles[i].System == profile.SystemALMA {
			a := *ecfg.Profiles[i].ALMA
			a.NCIPURL = as.NCIPURL()
			ecfg.Profiles[i].ALMA = &a
		}
	}
	w.cfg = ecfg
	var err error
	eng, err = engine.Open(context.Background(), ecfg)
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	t.Cleanup(func() { w.eng.Close() })
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for err := range up {
			if err != nil {
				t.Errorf("file arrived: %v", err)
			}
		}
	}()
	return w
}

// newServedALMAWorld is newALMAWorld with the engine's API served over
// HTTP, where mock ALMA sends its own NCIP (DeleteItem); it returns the
// API's base URL.
func newServedALMAWorld(t *testing.T) (*almaWorld, string) {
	t.Helper()
	addr := listenAPI(t)
	w := newALMAWorld(t, func(_ *engine.Config, a *alma.Config) { a.Facility.NCIPURL = addr.base + "/api/ncip" })
	addr.serve(t, w.eng)
	return w, addr.base
}

// export runs mock ALMA's export job: the file travels by SFTP and is
// processed before the upload's close returns, so before export returns.
func (w *almaWorld) export(t *testing.T) alma.ExportResult {
	t.Helper()
	var res alma.ExportResult
	postJSON(t, w.alma.URL()+"/_sim/export", "", nil, http.StatusOK, &res)
	return res
}

// restart closes the engine and opens it again on the same data directory.
func (w *almaWorld) restart(t *testing.T, start bool) {
	t.Helper()
	if err := w.eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(context.Background(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	if start {
		eng.Start()
	}
}

func (w *almaWorld) state(t *testing.T) alma.State {
	t.Helper()
	var st alma.State
	getJSON(t, w.alma.URL()+"/_sim/state", &st)
	return st
}

func almaItem(t *testing.T, st alma.State, barcode string) alma.Item {
	t.Helper()
	for _, it := range st.Items {
		if it.Barcode == barcode {
			return it
		}
	}
	t.Fatalf("mock ALMA has no item %s", barcode)
	return alma.Item{}
}

// alephWorld is mock ALEPH and the engine behind a real HTTP listener.
type alephWorld struct {
	aleph *aleph.Server
	eng   *engine.Engine
	url   string
}

// alephFile is the layout mock ALEPH posts its requests in: its print XML
// (the demo profile's format), or a pipe-delimited text layout registered
// with the facility (the profile's format becomes aleph-text).
type alephFile int

const (
	printXML alephFile = iota
	textLayout
)

// textColumns are the text layout's columns, as the facility's profile
// names them and as mock ALEPH's poster names them.
var textColumns = []struct{ facility, poster string }{
	{"request_id", "request_id"}, {"barcode", "barcode"}, {"patron_id", "patron_id"},
	{"pickup", "pickup_location"}, {"sublibrary", "sub_library"}, {"title", "title"}, {"type", "type"},
}

// profileTextLayout is the text layout as a profile registers it.
func profileTextLayout() *profile.TextLayout {
	l := &profile.TextLayout{Delimiter: "|", HeaderLines: 1}
	for _, c := range textColumns {
		l.Columns = append(l.Columns, profile.TextColumn{Field: c.facility})
	}
	return l
}

// newALEPHWorld starts mock ALEPH and the engine; muts change the profile
// and mock ALEPH's configuration after the defaults are set, before either starts.
func newALEPHWorld(t *testing.T, tcp bool, file alephFile, muts ...func(*profile.Profile, *aleph.Config)) *alephWorld {
	t.Helper()
	addr := listenAPI(t)
	w := &alephWorld{url: addr.base}
	fac, profs := profile.DemoFacility()
	p := profs[1]
	p.Retry = fastRetry()
	acfg := aleph.DemoConfig()
	acfg.Clock = clock
	acfg.Logger = logger(t)
	acfg.Poster.URL = w.url + "/api/requestfile/v1"
	acfg.Poster.APIKey = p.Intake.APIKey
	if file == textLayout {
		p.Intake.Format, p.Intake.TextLayout = profile.FormatALEPHText, profileTextLayout()
		acfg.Poster.Format = "text"
		acfg.Poster.Text = aleph.TextLayout{Delimiter: "|", Header: true}
		for _, c := range textColumns {
			acfg.Poster.Text.Columns = append(acfg.Poster.Text.Columns, aleph.TextColumn{Field: c.poster})
		}
	}
	for _, mut := range muts {
		mut(&p, &acfg)
	}
	as := startServer(t, aleph.Start, acfg)
	w.aleph = as
	a := *p.ALEPH
	if tcp {
		a.NCIPURL, a.NCIPAddr = "", as.PortAddrs()[0]
	} else {
		a.NCIPURL = as.URL() + "/ncip"
	}
	p.ALEPH = &a
	fac.Inventory = slices.DeleteFunc(fac.Inventory, func(it profile.InventoryItem) bool { return it.Profile != p.Name })
	eng := openEngine(t, engine.Config{Facility: fac, Profiles: []profile.Profile{p}, DataDir: t.TempDir(), Clock: clock, Logger: logger(t)})
	w.eng = eng
	addr.serve(t, eng)
	eng.Start()
	return w
}

// startServer starts a simulator with cfg, closed when the test ends.
func startServer[C any, S interface{ Close() error }](t testing.TB, start func(C) (S, error), cfg C) S {
	t.Helper()
	s, err := start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openEngine opens an engine on cfg, closed when the test ends.
func openEngine(t testing.TB, cfg engine.Config) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// apiServer is the engine's REST API over HTTP, on an address taken before
// the engine starts: the mock libraries are told it first.
type apiServer struct {
	ln   net.Listener
	base string // http://host:port
}

func listenAPI(t testing.TB) *apiServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &apiServer{ln: ln, base: "http://" + ln.Addr().String()}
}

// serve serves eng's API until the test ends.
func (a *apiServer) serve(t testing.TB, eng *engine.Engine) {
	srv := &http.Server{Handler: api.ForEngine(eng, nil)}
	go srv.Serve(a.ln)
	t.Cleanup(func() { srv.Close() })
}

// serveAPI serves eng's API until the test ends; it returns its base URL.
func serveAPI(t testing.TB, eng *engine.Engine) string {
	a := listenAPI(t)
	a.serve(t, eng)
	return a.base
}

func postJSON(t *testing.T, url, key string, body any, want int, out any) []byte {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := apiRequest(t, http.MethodPost, url, key, rd)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req, want, out)
}

// getAPI reads an API endpoint with key, which must answer 200 OK, into out.
func getAPI(t *testing.T, url, key string, out any) []byte {
	t.Helper()
	return do(t, apiRequest(t, http.MethodGet, url, key, nil), http.StatusOK, out)
}

// apiRequest is a request to the engine's API with key ("" for none).
func apiRequest(t testing.TB, method, url, key string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	return req
}

// roundTrip sends req and returns the reply's status and body.
func roundTrip(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	do(t, req, http.StatusOK, out)
}

func do(t *testing.T, req *http.Request, want int, out any) []byte {
	t.Helper()
	code, b := roundTrip(t, req)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", req.Method, req.URL, err, b)
		}
	}
	return b
}

// waitIdle waits until nothing is pending in the engine's outbox.
func waitIdle(t *testing.T, eng *engine.Engine) {
	t.Helper()
	if err := eng.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// answered waits for a mock's first exchange of service, which must not
// have been answered with a Problem.
func answered(t *testing.T, j *journal.Journal, service string) journal.Exchange {
	t.Helper()
	ex := waitService(t, j, service, 1)[0]
	if len(ex.Problems) > 0 {
		t.Fatalf("%s answered with %v: %s\n%s", service, ex.Problems, ex.Response, ex.Request)
	}
	return ex
}

// waitService waits for the n-th exchange of a service in a journal and returns them all.
func waitService(t *testing.T, j *journal.Journal, service string, n int) []journal.Exchange {
	t.Helper()
	var got []journal.Exchange
	_, err := j.Wait(ctxT(t), func(all []journal.Exchange) bool {
		got = got[:0]
		for _, e := range all {
			if e.Service == service && e.Direction == "in" {
				got = append(got, e)
			}
		}
		return len(got) >= n
	})
	if err != nil {
		t.Fatalf("waiting for %d %s: %v (saw %d)", n, service, err, len(got))
	}
	return got
}

// golden compares a message with testdata/golden/<name> byte for byte
// (rewriting it with -update), printing an NCIP-aware diff on a mismatch.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if want := readGolden(t, path, got); !bytes.Equal(want, got) {
		diff := "(the difference is in bytes the NCIP comparison ignores: prefix, attribute order, whitespace)"
		if r, err := compare.Messages(want, got, path, "got"); err != nil {
			diff = err.Error()
		} else if !r.Equal {
			diff = r.Diff
		}
		t.Errorf("%s differs from the golden file:\n%s\ngot:\n%s", name, diff, got)
	}
}

// readGolden returns the golden file at path, first rewriting it with got
// when the test runs with -update.
func readGolden(t *testing.T, path string, got []byte) []byte {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	return want
}

// validV2 validates an NCIP 2 message against the schema with xmllint.
func validV2(t *testing.T, msg []byte) {
	t.Helper()
	if _, err := xmllint.Path(); err != nil {
		t.Fatal(err) // make test installs it; a missing validator must not pass silently
	}
	res, err := xmllint.Validate(t.Context(), filepath.Join("..", "..", "ncip", "testdata", "xsd", "ncip_v2_02.xsd"), msg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid {
		t.Errorf("not schema-valid: %s\n%s", res.Summary(), msg)
	}
}
