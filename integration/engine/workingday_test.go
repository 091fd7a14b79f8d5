package engine_test

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/simulators/alma"

	"github.com/annexlab/annex/formats/caiasoft"
)

// workingDay is fixtures/requests/alma-working-day.xml: a day of ALMA's
// export in the real shape (DESIGN §1.1).
func workingDay(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "requests", "alma-working-day.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sftpPut uploads one file as ALMA's job does: by SFTP, with the profile's
// account, into its directory. The engine has processed the file once the
// upload's close returns.
func sftpPut(t *testing.T, w *almaWorld, p profile.Profile, name string, data []byte) {
	t.Helper()
	withSFTP(t, w, p, func(c *sftp.Client, dir string) {
		if err := sftpWrite(c, path.Join(dir, name), data); err != nil {
			t.Fatal(err)
		}
	})
}

// apiRequests reads GET /api/requests/v1 over HTTP, by request id.
func apiRequests(t *testing.T, w *almaWorld) map[string]engine.RequestRow {
	t.Helper()
	var page struct {
		Requests []engine.RequestRow `json:"requests"`
	}
	getAPI(t, serveAPI(t, w.eng)+"/api/requests/v1", w.cfg.Facility.APIKey, &page)
	out := map[string]engine.RequestRow{}
	for _, r := range page.Requests {
		out[r.ID] = r
	}
	return out
}

// requestRaw is the request as the file gave it, as the API shows it.
type requestRaw struct {
	Title         string `json:"title"`
	Author        string `json:"author"`
	CallNumber    string `json:"call_number"`
	PickupLibrary string `json:"pickup_library"`
	PickupDesk    string `json:"pickup_desk"`
	Citation      string `json:"citation"`
	ShipAddress   *struct {
		Line1 string `json:"line1"`
	} `json:"ship_address"`
	RequestedInfo []struct{ Name, Value string } `json:"requested_info"`
	Unknown       []string                       `json:"unknown"`
}

// TestWorkingDayALMAFile is issue 10's first acceptance point: the working
// day's file, uploaded by SFTP through the engine with the demo profile
// (stops keyed by desk names, library names, PERSONAL_DELIVERY and library
// codes): every request whose item is in storage is accepted at its stop,
// every title is kept and visible in /api/requests/v1, title-level
// requests are denied quoting the citation, nothing is unknown.
func TestWorkingDayALMAFile(t *testing.T) {
	w := newALMAWorld(t, nil)
	sftpPut(t, w, w.cfg.Profiles[0], "ANNEX-20261207_070000.xml", workingDay(t))
	rows := apiRequests(t, w)
	accepted := map[string]struct{ stop, job string }{
		"2410000010001": {"MAIN-CIRC", caiasoft.JobPhysical}, "2410000010002": {"LAW-CIRC", caiasoft.JobPhysical},
		"2410000010003": {"MAIN-CIRC", caiasoft.JobPhysical}, "2410000010004": {"MAIL", caiasoft.JobPhysical},
		"2410000010005": {"SCAN", caiasoft.JobERetrieval}, "2410000010006": {"SCAN", caiasoft.JobERetrieval},
		"2410000010007": {"SCAN", caiasoft.JobERetrieval}, "2410000010011": {"MAIN-CIRC", caiasoft.JobPhysical},
		"2410000010012": {"LAW-CIRC", caiasoft.JobPhysical},
	}
	for id, want := range accepted {
		r := rows[id]
		if r.Status != store.RequestAccepted || r.Stop != want.stop || r.Job != want.job {
			t.Errorf("%s: status %s stop %s job %s (%s), want accepted at %s as %s", id, r.Status, r.Stop, r.Job, r.Reason, want.stop, want.job)
		}
		if len(r.Warnings) != 0 {
			t.Errorf("%s warnings: %v", id, r.Warnings)
		}
	}
	for id, citation := range map[string]string{"2410000010008": "Volume 96; Issue 4; Publication Date 1989", "2410000010013": "The economics of remote storage: a review"} {
		if r := rows[id]; r.Status != store.RequestDenied || r.Code != caiasoft.DenialTitleLevel || !strings.HasPrefix(r.Reason, caiasoft.DenyTitleLevel) || !strings.Contains(r.Reason, `"`+citation+`"`) {
			t.Errorf("%s: %s %q, want denied quoting %q", id, r.Status, r.Reason, citation)
		}
	}
	if r := rows["2410000010010"]; r.Status != store.RequestDenied || r.Code != caiasoft.DenialNotInStorage {
		t.Errorf("item not in storage: %+v", r)
	}
	if len(rows) != 12 {
		t.Errorf("%d requests, want 12 (the duplicate is skipped)", len(rows))
	}
	for id, r := range rows {
		var raw requestRaw
		if err := json.Unmarshal(r.Raw, &raw); err != nil {
			t.Fatalf("%s raw: %v", id, err)
		}
		if raw.Title == "" || len(raw.Unknown) != 0 {
			t.Errorf("%s: title %q, unknown %v", id, raw.Title, raw.Unknown)
		}
	}
	var pd requestRaw
	json.Unmarshal(rows["2410000010004"].Raw, &pd)
	if pd.PickupLibrary != "PERSONAL_DELIVERY" || pd.ShipAddress == nil || pd.ShipAddress.Line1 != "Zoë Žáková" || pd.CallNumber != "PG3476 .B78 1997" {
		t.Errorf("personal delivery as the API shows it: %+v", pd)
	}
	var dg requestRaw
	json.Unmarshal(rows["2410000010006"].Raw, &dg)
	if dg.PickupDesk != "Digitization Department For Institution" || len(dg.RequestedInfo) != 2 || dg.RequestedInfo[1].Value != "Table of contents and pages 1-12" {
		t.Errorf("digitization as the API shows it: %+v", dg)
	}
	files, err := w.eng.Files(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Accepted != 9 || files[0].Denied != 3 || files[0].Skipped != 1 {
		t.Errorf("file: %+v, want 9 accepted, 3 denied, 1 duplicate skipped", files)
	}
}

// TestWorkingDayCodesOnlyProfile is issue 10's second acceptance point: a
// profile whose stops are keyed by library codes only accepts the physical
// requests and denies digitization and personal delivery, each naming the
// keys it tried, and validate warned about it beforehand.
func TestWorkingDayCodesOnlyProfile(t *testing.T) {
	fixture := filepath.Join("..", "..", "fixtures", "profiles", "alma-codes-only.yaml")
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	codesOnly, probs := profile.ParseProfile("alma-codes-only.yaml", data)
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	warned := false
	for _, p := range probs {
		warned = warned || (p.Field == "translation.stops" && p.Severity == profile.SeverityWarning &&
			strings.Contains(p.Message, "digitization") && strings.Contains(p.Message, "PERSONAL_DELIVERY"))
	}
	if !warned {
		t.Errorf("validate did not warn that the stop tables cannot match digitization and personal delivery:\n%s", probs.Error())
	}
	w := newALMAWorld(t, func(c *engine.Config, _ *alma.Config) {
		c.Profiles[0].Translation = codesOnly.Translation
	})
	sftpPut(t, w, w.cfg.Profiles[0], "ANNEX-20261207_070000.xml", workingDay(t))
	rows := apiRequests(t, w)
	for _, id := range []string{"2410000010001", "2410000010002", "2410000010003", "2410000010011", "2410000010012"} {
		if r := rows[id]; r.Status != store.RequestAccepted {
			t.Errorf("physical %s: %s %s", id, r.Status, r.Reason)
		}
	}
	for id, keys := range map[string][]string{
		"2410000010004": {`pickup_libraries "PERSONAL_DELIVERY"`},
		"2410000010005": {`desks "Digitization Department For Institution"`, `pickup_libraries "Annex University"`},
		"2410000010006": {`desks "Digitization Department For Institution"`, `pickup_libraries "Annex University"`},
		"2410000010007": {`desks "Digitization Department For Institution"`, `pickup_libraries "Annex University"`},
	} {
		r := rows[id]
		if r.Status != store.RequestDenied || r.Code != caiasoft.DenialNoStopTranslation || !strings.HasPrefix(r.Reason, caiasoft.DenyInvalidStop) {
			t.Errorf("%s: %s %s %q, want denied %s", id, r.Status, r.Code, r.Reason, caiasoft.DenialNoStopTranslation)
			continue
		}
		for _, k := range append(keys, "translation.stops", "libraries") {
			if !strings.Contains(r.Reason, k) {
				t.Errorf("%s: reason %q does not name %s", id, r.Reason, k)
			}
		}
	}
}

// TestERetrievalNCIP: an e-retrieval (a digitization request, job ERT) is
// pulled and refiled without telling ALMA unless the profile says
// alma.e_retrieval_ncip (the assumed default is false); a physical one is
// told both ways.
func TestERetrievalNCIP(t *testing.T) {
	for _, reports := range []bool{false, true} {
		w := newALMAWorld(t, func(c *engine.Config, _ *alma.Config) {
			a := *c.Profiles[0].ALMA
			a.ERetrievalNCIP = reports
			c.Profiles[0].ALMA = &a
		})
		sftpPut(t, w, w.cfg.Profiles[0], "ANNEX-20261207_070000.xml", workingDay(t))
		const scan, physical = "39015000000014", "39015000000011"
		for _, b := range []string{scan, physical} {
			if err := w.eng.Retrieve(t.Context(), b); err != nil {
				t.Fatal(err)
			}
			if err := w.eng.Refile(t.Context(), b); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := w.eng.Outbox(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, m := range msgs {
			if m.Service != "CancelRequestItem" { // owed for the file's title-level and missing requests
				count[m.Barcode+" "+m.Service]++
			}
		}
		want := map[string]int{physical + " CheckOutItem": 1, physical + " CheckInItem": 1}
		if reports {
			want[scan+" CheckOutItem"], want[scan+" CheckInItem"] = 1, 1
		}
		for k, n := range want {
			if count[k] != n {
				t.Errorf("e_retrieval_ncip=%v: %d %s, want %d (outbox %v)", reports, count[k], k, n, count)
			}
		}
		if len(count) != len(want) {
			t.Errorf("e_retrieval_ncip=%v: outbox %v, want %v", reports, count, want)
		}
		if r := requestByID(t, w.eng, "2410000010005"); r.Status != store.RequestRefiled || r.Job != caiasoft.JobERetrieval {
			t.Errorf("e_retrieval_ncip=%v: scan request %+v, want refiled ERT", reports, r)
		}
	}
}

// TestPickupAtAnotherLibraryKeepsTheItemsDesk: ALMA's libraryCode is the
// pickup library's code (DESIGN §1.1), not the item's. A LAW item
// requested for pickup at the Main Library must still be checked out on
// behalf of a LAW desk, or ALMA refuses the Scan In ("Unknown circulation
// desk"). The engine used to overwrite the item's library with libraryCode
// on acceptance, so this request's CheckOutItem came back with a Problem.
func TestPickupAtAnotherLibraryKeepsTheItemsDesk(t *testing.T) {
	w := newALMAWorld(t, func(_ *engine.Config, a *alma.Config) {
		a.State.Items = append(a.State.Items, alma.Item{Barcode: "39015000000021", Library: "LAW", Location: "ANNEX",
			MaterialType: "BOOK", Status: alma.StatusRequested})
	})
	sftpPut(t, w, w.cfg.Profiles[0], "ANNEX-20261207_070000.xml", workingDay(t))
	if r := apiRequests(t, w)["2410000010003"]; r.Status != store.RequestAccepted || r.Library != "MAIN" {
		t.Fatalf("request 2410000010003 (LAW item, Main Library pickup): %+v", r)
	}
	if err := w.eng.Retrieve(t.Context(), "39015000000021"); err != nil {
		t.Fatal(err)
	}
	out := answered(t, w.alma.Journal(), "CheckOutItem")
	if !strings.Contains(string(out.Request), "LAW.CIRC") {
		t.Errorf("CheckOutItem is not on behalf of the item's library's desk LAW.CIRC:\n%s", out.Request)
	}
}
