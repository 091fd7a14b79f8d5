package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/alma"

	"github.com/annexlab/annex/formats/caiasoft"
)

func requestByID(t *testing.T, eng *engine.Engine, id string) engine.RequestRow {
	t.Helper()
	rows, err := eng.Requests(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no request %s in %+v", id, rows)
	return engine.RequestRow{}
}

func alertsOf(t *testing.T, eng *engine.Engine, kind string) []engine.Alert {
	t.Helper()
	all, err := eng.Alerts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []engine.Alert
	for _, a := range all {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

// TestALMAFlow is DESIGN §2's data flow end to end, over the wire: export
// by SFTP → intake → accept → retrieve → CheckOutItem → refile → CheckInItem.
func TestALMAFlow(t *testing.T) {
	w := newALMAWorld(t, nil)
	res := w.export(t)
	if res.Requests != 2 {
		t.Fatalf("export: %+v", res)
	}
	for _, id := range []string{"REQ-1", "REQ-2"} {
		if r := requestByID(t, w.eng, id); r.Status != store.RequestAccepted || r.Stop != "MAIN-CIRC" {
			t.Errorf("%s: %+v, want accepted at MAIN-CIRC", id, r)
		}
	}
	processed, _ := os.ReadDir(filepath.Join(w.dataDir, "intake", "alma-demo", "processed"))
	if len(processed) != 1 || !strings.HasSuffix(processed[0].Name(), res.File) {
		t.Errorf("processed/ holds %v, want the export file %s", processed, res.File)
	}

	if err := w.eng.Retrieve(t.Context(), "39015000000001"); err != nil {
		t.Fatal(err)
	}
	out := answered(t, w.alma.Journal(), "CheckOutItem")
	golden(t, "alma-checkout.xml", out.Request)
	validV2(t, out.Request)
	waitIdle(t, w.eng)
	if it := almaItem(t, w.state(t), "39015000000001"); it.Status != alma.StatusInTransit {
		t.Errorf("after CheckOutItem the ALMA item is %s, want in_transit", it.Status)
	}
	if r := requestByID(t, w.eng, "REQ-1"); r.Status != store.RequestRetrieved {
		t.Errorf("REQ-1 is %s, want retrieved", r.Status)
	}
	if a := alertsOf(t, w.eng, store.AlertFulfilment); len(a) != 1 || a[0].RequestID != "REQ-1" {
		t.Errorf("fulfilment alerts: %+v", a)
	}

	if err := w.eng.Refile(t.Context(), "39015000000001"); err != nil {
		t.Fatal(err)
	}
	in := answered(t, w.alma.Journal(), "CheckInItem")
	golden(t, "alma-checkin.xml", in.Request)
	validV2(t, in.Request)
	waitIdle(t, w.eng)
	if it := almaItem(t, w.state(t), "39015000000001"); it.Status != alma.StatusInPlace || it.Location != "ANNEX" {
		t.Errorf("after CheckInItem the ALMA item is %s at %s, want in_place at ANNEX", it.Status, it.Location)
	}
	if r := requestByID(t, w.eng, "REQ-1"); r.Status != store.RequestRefiled {
		t.Errorf("REQ-1 is %s, want refiled", r.Status)
	}
	msgs, _ := w.eng.Outbox(t.Context())
	for _, m := range msgs {
		if m.Status != store.MsgDelivered || m.Attempts != 1 {
			t.Errorf("outbox %d %s: %s after %d attempts", m.ID, m.Service, m.Status, m.Attempts)
		}
	}
}

// TestUnknownItem: a request for an item the facility does not hold is
// denied, and ALMA is told with CancelRequestItem, which marks it Missing.
func TestUnknownItem(t *testing.T) {
	w := newALMAWorld(t, func(c *engine.Config, _ *alma.Config) {
		c.Facility.Inventory = c.Facility.Inventory[:1] // 39015000000002 is not in storage
	})
	w.export(t)
	r := requestByID(t, w.eng, "REQ-2")
	if r.Status != store.RequestDenied || r.Code != caiasoft.DenialNotInStorage || !strings.HasPrefix(r.Reason, caiasoft.DenyNotInStorage) {
		t.Fatalf("REQ-2: %+v, want denied: not in storage", r)
	}
	ex := answered(t, w.alma.Journal(), "CancelRequestItem")
	golden(t, "alma-cancel.xml", ex.Request)
	validV2(t, ex.Request)
	waitIdle(t, w.eng)
	if it := almaItem(t, w.state(t), "39015000000002"); it.Status != alma.StatusMissing {
		t.Errorf("ALMA item is %s, want missing", it.Status)
	}
	if a := alertsOf(t, w.eng, store.AlertDenial); len(a) != 1 || a[0].RequestID != "REQ-2" {
		t.Errorf("denial alerts: %+v", a)
	}
}

// TestUntranslatablePickup: a pickup no stop table knows is denied with its reason.
func TestUntranslatablePickup(t *testing.T) {
	w := newALMAWorld(t, func(c *engine.Config, _ *alma.Config) {
		c.Profiles[0].Translation.Stops.Institutions = nil
	})
	name, data, _, err := w.alma.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	// REQ-1's pickup library, by name and by code, is one no table knows.
	data = []byte(strings.Replace(string(data), "<xb:library>Main Library</xb:library>", "<xb:library>FAR</xb:library>", 1))
	data = []byte(strings.Replace(string(data), "<xb:libraryCode>MAIN</xb:libraryCode>", "<xb:libraryCode>FAR</xb:libraryCode>", 1))
	dropFile(t, w, name, data)
	r := requestByID(t, w.eng, "REQ-1")
	if r.Status != store.RequestDenied || r.Code != caiasoft.DenialNoStopTranslation || !strings.HasPrefix(r.Reason, caiasoft.DenyInvalidStop) || !strings.Contains(r.Reason, `"FAR"`) {
		t.Fatalf("REQ-1: %+v, want denied: invalid stop naming FAR", r)
	}
	if r := requestByID(t, w.eng, "REQ-2"); r.Status != store.RequestAccepted {
		t.Errorf("REQ-2: %+v, want accepted", r)
	}
	if a := alertsOf(t, w.eng, store.AlertDenial); len(a) != 1 || !strings.Contains(a[0].Message, "FAR") {
		t.Errorf("denial alerts: %+v", a)
	}
	if msgs, _ := w.eng.Outbox(t.Context()); len(msgs) != 0 {
		t.Errorf("a stop denial owes ALMA nothing, outbox: %+v", msgs)
	}
}

// dropFile puts a file in the ALMA inbox as an upload would and signals it.
func dropFile(t *testing.T, w *almaWorld, name string, data []byte) {
	t.Helper()
	inbox := w.eng.InboxDir("alma-demo")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(inbox, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.FileArrived(t.Context(), path); err != nil {
		t.Fatal(err)
	}
}

// TestDuplicateRequests: the same ids again are skipped, not re-processed.
func TestDuplicateRequests(t *testing.T) {
	w := newALMAWorld(t, nil)
	_, data, _, err := w.alma.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	dropFile(t, w, "first.xml", data)
	dropFile(t, w, "second.xml", data)
	files, err := w.eng.Files(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Accepted != 2 || files[1].Skipped != 2 || files[1].Accepted != 0 {
		t.Fatalf("files: %+v", files)
	}
	if rows, _ := w.eng.Requests(t.Context()); len(rows) != 2 {
		t.Errorf("requests: %+v", rows)
	}
}

// TestBrokenFile: a file that cannot be read is quarantined with its reason; nothing of it is applied.
func TestBrokenFile(t *testing.T) {
	w := newALMAWorld(t, nil)
	_, data, _, err := w.alma.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	broken := data[:len(data)*2/3] // truncated mid-record
	dropFile(t, w, "broken.xml", broken)
	rej := filepath.Join(w.dataDir, "intake", "alma-demo", "rejected")
	entries, _ := os.ReadDir(rej)
	var file, reason string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".reason") {
			reason = e.Name()
		} else {
			file = e.Name()
		}
	}
	if file == "" || reason != file+".reason" {
		t.Fatalf("rejected/ holds %v", entries)
	}
	got, _ := os.ReadFile(filepath.Join(rej, file))
	if string(got) != string(broken) {
		t.Error("the rejected file is not the file that arrived")
	}
	text, _ := os.ReadFile(filepath.Join(rej, reason))
	if !strings.Contains(string(text), "file: broken.xml") || !strings.Contains(string(text), "message: ") {
		t.Errorf("reason file:\n%s", text)
	}
	if rows, _ := w.eng.Requests(t.Context()); len(rows) != 0 {
		t.Errorf("a rejected file applied requests: %+v", rows)
	}
	if a := alertsOf(t, w.eng, store.AlertRejectedFile); len(a) != 1 {
		t.Errorf("rejected_file alerts: %+v", a)
	}
}

// TestRestart: Close and Open on the same data directory keep everything,
// and a message owed before the restart is sent after it.
func TestRestart(t *testing.T) {
	w := newALMAWorld(t, nil)
	w.export(t)
	// Open without Start: the message is stored but nobody sends it.
	w.restart(t, false)
	if err := w.eng.Retrieve(t.Context(), "39015000000001"); err != nil {
		t.Fatal(err)
	}
	w.restart(t, true)
	if r := requestByID(t, w.eng, "REQ-1"); r.Status != store.RequestRetrieved {
		t.Errorf("after restart REQ-1 is %s", r.Status)
	}
	ex := waitService(t, w.alma.Journal(), "CheckOutItem", 1)
	waitIdle(t, w.eng)
	if len(ex) != 1 || len(ex[0].Problems) > 0 {
		t.Fatalf("CheckOutItem after restart: %+v", ex)
	}
	golden(t, "alma-checkout.xml", ex[0].Request)
	items, _ := w.eng.Items(t.Context())
	if len(items) != len(w.cfg.Facility.Inventory) {
		t.Errorf("inventory after restarts: %d items, want the %d seeded once only", len(items), len(w.cfg.Facility.Inventory))
	}
}

// TestResumeClaimed: a file left in claimed/ by a crash is processed at Open.
func TestResumeClaimed(t *testing.T) {
	w := newALMAWorld(t, nil)
	_, data, _, err := w.alma.BuildExport()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.eng.Close(); err != nil {
		t.Fatal(err)
	}
	claimed := filepath.Join(w.dataDir, "intake", "alma-demo", "claimed", "20250314T092653.000000000Z-crash.xml")
	if err := os.WriteFile(claimed, data, 0o644); err != nil {
		t.Fatal(err)
	}
	w.restart2(t)
	if r := requestByID(t, w.eng, "REQ-1"); r.Status != store.RequestAccepted {
		t.Errorf("REQ-1: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(w.dataDir, "intake", "alma-demo", "processed", filepath.Base(claimed))); err != nil {
		t.Error(err)
	}
}

func (w *almaWorld) restart2(t *testing.T) {
	t.Helper()
	eng, err := engine.Open(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
}
