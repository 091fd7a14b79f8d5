package engine_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/intake"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
)

// textSlips is a request file in the text layout the ALEPH profile below
// registers beside its print-XML format.
const textSlips = "request_id|barcode|patron|pickup|sublibrary|title|type\n" +
	"000000101|000000001|P1|Main Library Circulation Desk|MAIN|A title|hold\n"

// formatWorld is the ALEPH demo profile (print XML by default) with a text
// layout registered too, behind the engine's REST API.
func formatWorld(t *testing.T) (cfg engine.Config, eng *engine.Engine, url string) {
	t.Helper()
	fac, profs := profile.DemoFacility()
	p := profs[1]
	p.Intake.TextLayout = profileTextLayout()
	fac.Inventory = slices.DeleteFunc(fac.Inventory, func(it profile.InventoryItem) bool { return it.Profile != p.Name })
	cfg = engine.Config{Facility: fac, Profiles: []profile.Profile{p}, DataDir: t.TempDir(), Clock: clock, Logger: logger(t)}
	eng = openEngine(t, cfg)
	return cfg, eng, serveAPI(t, eng)
}

func postFile(t *testing.T, url, body string, want int) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-API-Key", "demo-key")
	return do(t, req, want, nil)
}

func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestFormatOverride: ?format= reads one posted file in another format the
// profile can read; a format it cannot read is refused with 400 before
// anything lands.
func TestFormatOverride(t *testing.T) {
	cfg, eng, url := formatWorld(t)
	intakeDir := filepath.Join(cfg.DataDir, "intake", "aleph-demo")

	for _, bad := range []string{"bogus", profile.FormatRSExport} {
		b := postFile(t, url+"/api/requestfile/v1?profile=aleph-demo&format="+bad, textSlips, http.StatusBadRequest)
		if !strings.Contains(string(b), bad) {
			t.Errorf("?format=%s: reply %s does not name the format", bad, b)
		}
	}
	for _, stage := range []string{intake.Claimed, intake.Processed, intake.Rejected} {
		if got := dirFiles(t, filepath.Join(intakeDir, stage)); len(got) != 0 {
			t.Errorf("after refused posts, %s/ holds %v", stage, got)
		}
	}
	if got := dirFiles(t, eng.InboxDir("aleph-demo")); len(got) != 0 {
		t.Errorf("after refused posts, the inbox holds %v", got)
	}

	b := postFile(t, url+"/api/requestfile/v1?profile=aleph-demo&format=aleph-text", textSlips, http.StatusOK)
	if !strings.Contains(string(b), `"deny":"N"`) {
		t.Fatalf("text file posted with ?format=aleph-text: %s", b)
	}
	if r := requestByID(t, eng, "000000101"); r.Status != store.RequestAccepted || r.Stop != "MAIN-CIRC" {
		t.Errorf("request: %+v", r)
	}
	processed := dirFiles(t, filepath.Join(intakeDir, intake.Processed))
	if len(processed) != 1 || !strings.Contains(processed[0], "+aleph-text+") {
		t.Errorf("processed/ holds %v, want one file whose name records its format", processed)
	}
}

// TestResumeKeepsFormat: a file posted with ?format= and left in claimed/
// by a crash is parsed in that format when it is resumed, not in the
// profile's.
func TestResumeKeepsFormat(t *testing.T) {
	cfg, eng, _ := formatWorld(t)
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	name := intake.ClaimName(clock(), "slips.txt", profile.FormatALEPHText)
	claimed := filepath.Join(cfg.DataDir, "intake", "aleph-demo", intake.Claimed, name)
	if err := os.WriteFile(claimed, []byte(textSlips), 0o644); err != nil {
		t.Fatal(err)
	}
	eng = openEngine(t, cfg)
	if r := requestByID(t, eng, "000000101"); r.Status != store.RequestAccepted {
		t.Errorf("request after resume: %+v", r)
	}
	files, err := eng.Files(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Status != store.FileProcessed || files[0].Original != "slips.txt" {
		t.Errorf("files after resume: %+v", files)
	}
}
