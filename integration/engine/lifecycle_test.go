package engine_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/annexlab/annex/formats/caiasoft"
	"github.com/annexlab/annex/integration/engine"
	"github.com/annexlab/annex/simulators/journal"
)

// walk is one step of a lifecycle: a call that moves the item, the status
// itemstatus must answer after it, and the item event it must record.
type walk struct {
	name   string
	do     func(t *testing.T)
	status string
	event  string
}

// walkItem runs the steps, checking the status through GET itemstatus
// after each, then that item_events holds exactly one row per step.
func walkItem(t *testing.T, w *caiaWorld, barcode string, steps []walk) {
	t.Helper()
	var wantKinds []string
	for _, s := range steps {
		s.do(t)
		if got := w.status(t, barcode); got != s.status {
			t.Fatalf("after %s: %s is %q, want %q", s.name, barcode, got, s.status)
		}
		wantKinds = append(wantKinds, s.event)
	}
	evs, err := w.eng.EventsOf(t.Context(), barcode)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, ev := range evs {
		kinds = append(kinds, ev.Kind)
		if i < len(steps) && (ev.Status != steps[i].status || ev.Day != "20250314") {
			t.Errorf("event %d: %+v, want status %q on day 20250314", i, ev, steps[i].status)
		}
	}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("item_events of %s: %v, want %v", barcode, kinds, wantKinds)
	}
}

func (w *caiaWorld) request(t *testing.T, key, barcode, job, stop, id string) func(*testing.T) {
	return func(t *testing.T) {
		code, raw := w.call(t, http.MethodPost, "/api/circrequests/v1", key,
			map[string]any{"requests": []map[string]string{{"barcode": barcode, "request_type": job, "stop": stop, "request_id": id}}})
		if code != http.StatusOK || !contains(raw, `"deny":"N","istatus":"`+caiasoft.IStatusRequested+`"`) {
			t.Fatalf("%s request for %s: %d %s", job, barcode, code, raw)
		}
	}
}

func (w *caiaWorld) op(op, barcode string) func(*testing.T) {
	return func(t *testing.T) { w.floor(t, op, map[string]string{"barcode": barcode}) }
}

func contains(raw []byte, s string) bool { return strings.Contains(string(raw), s) }

// wantNCIP checks the NCIP services a mock received for a barcode.
func wantNCIP(t *testing.T, w *caiaWorld, j *journal.Journal, barcode string, want ...string) {
	t.Helper()
	got, problems := w.ncipFor(t, j, barcode)
	if !slices.Equal(got, want) {
		t.Errorf("NCIP for %s: %v, want %v", barcode, got, want)
	}
	for i, p := range problems {
		if len(p) > 0 {
			t.Errorf("%s for %s answered with %v", got[i], barcode, p)
		}
	}
}

// lifeStep is one floor operation on an item, with the status itemstatus
// must answer after it and the item event it must record.
type lifeStep struct{ op, status, event string }

// walkRequest posts a circrequest for barcode with key, which must leave it
// in status queued, then walks it through the floor steps.
func walkRequest(t *testing.T, w *caiaWorld, key, barcode, job, stop, id, queued string, steps ...lifeStep) {
	t.Helper()
	walks := []walk{{"circrequests " + job, w.request(t, key, barcode, job, stop, id), queued, caiasoft.EventQueued}}
	for _, s := range steps {
		walks = append(walks, walk{s.op, w.op(s.op, barcode), s.status, s.event})
	}
	walkItem(t, w, barcode, walks)
}

// TestLifecycleOutAndBack: the requests that send an item out and bring it
// back to rest through the queue for refile, and the NCIP the library's
// mock hears of them.
func TestLifecycleOutAndBack(t *testing.T) {
	eRetrieval := []lifeStep{
		{"retrieve", caiasoft.StatusPulledERetrieval, caiasoft.EventERetrieval},
		{"scan-done", caiasoft.StatusQueueRefile, caiasoft.EventScanDone},
		{"refile", caiasoft.StatusAtRest, caiasoft.EventRefile},
	}
	for _, tc := range []struct {
		name string
		// aleph: posted by ALEPH's own key and heard by mock ALEPH; else
		// posted by the facility key and heard by mock ALMA.
		aleph                          bool
		barcode, job, stop, id, queued string
		steps                          []lifeStep
		ncip                           []string
	}{
		// A physical retrieval from ALMA's connection, posted by the facility
		// key with a stop only ALMA serves.
		{"PYR", false, "39015000000001", caiasoft.JobPhysical, "LAW-CIRC", "PYR-1", caiasoft.StatusQueuePhysical, []lifeStep{
			{"retrieve", caiasoft.StatusOutPhysical, caiasoft.EventRetrieval},
			{"return", caiasoft.StatusQueueRefile, caiasoft.EventReturn},
			{"refile", caiasoft.StatusAtRest, caiasoft.EventRefile},
		}, []string{"CheckOutItem", "CheckInItem"}},
		// An e-retrieval for ALEPH's connection: ALEPH hears of it like any
		// retrieval.
		{"ERT", true, "000000002", caiasoft.JobERetrieval, "SCI-CIRC", "ERT-1", caiasoft.StatusQueueERetrieval, eRetrieval,
			[]string{"CheckOutItem", "CheckInItem"}},
		// ALMA is not told of an e-retrieval unless the profile says so
		// (alma.e_retrieval_ncip), as before issue 12.
		{"ERTALMA", false, "39015000000002", caiasoft.JobERetrieval, "SCAN", "ERT-2", caiasoft.StatusQueueERetrieval, eRetrieval, nil},
		// Special handling, out on SH-I-P service and back; ALMA hears of it
		// as of a retrieval.
		{"SHP", false, "39015000000003", caiasoft.JobSHIP, "Personal delivery mail room", "SHP-1", caiasoft.StatusQueueSHIP, []lifeStep{
			{"retrieve", caiasoft.StatusOutSHIP, caiasoft.EventSHPOut},
			{"return", caiasoft.StatusQueueRefile, caiasoft.EventReturn},
			{"refile", caiasoft.StatusAtRest, caiasoft.EventRefile},
		}, []string{"CheckOutItem", "CheckInItem"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newCaiaWorld(t, nil)
			key, j := w.facilityKey, w.alma.Journal()
			if tc.aleph {
				key, j = w.alephKey, w.aleph.Journal()
			}
			walkRequest(t, w, key, tc.barcode, tc.job, tc.stop, tc.id, tc.queued, tc.steps...)
			wantNCIP(t, w, j, tc.barcode, tc.ncip...)
		})
	}
}

// TestLifecycleDEA: a deaccession: queued → deaccessioned for good; a
// request for it afterwards is denied; no NCIP is owed.
func TestLifecycleDEA(t *testing.T) {
	w := newCaiaWorld(t, nil)
	const b = "000000003"
	walkRequest(t, w, w.alephKey, b, caiasoft.JobDeaccession, "MAIN-CIRC", "DEA-1", caiasoft.StatusQueueDeaccession,
		lifeStep{"deaccession", caiasoft.StatusDeaccessioned, caiasoft.EventDeaccession})
	code, raw := w.call(t, http.MethodPost, "/api/circrequests/v1", w.alephKey,
		`{"requests":[{"barcode":"000000003","request_type":"PYR","stop":"MAIN-CIRC","request_id":"DEA-2"}]}`)
	if code != http.StatusOK || !contains(raw, `"deny":"Y","istatus":"`+caiasoft.DenyNotAvailable+`"`) {
		t.Errorf("a request for a deaccessioned item: %d %s", code, raw)
	}
	if code, raw := w.call(t, http.MethodPost, "/api/floor/v1/retrieve", w.facilityKey, `{"barcode":"000000003"}`); code != http.StatusConflict {
		t.Errorf("retrieving a deaccessioned item: %d %s", code, raw)
	}
	wantNCIP(t, w, w.aleph.Journal(), b)
}

// TestLifecycleAccession: an item announced by incomingitems waits on the
// accession stream, is received, and comes to rest; the library hears of
// it with CheckInItem, unless the profile says accessions are not reported.
func TestLifecycleAccession(t *testing.T) {
	for _, report := range []bool{true, false} {
		t.Run(map[bool]string{true: "reported", false: "not reported"}[report], func(t *testing.T) {
			w := newCaiaWorld(t, func(c *engine.Config) {
				if !report {
					c.Profiles[0].ReportAccessions = new(bool)
				}
			})
			const b = "39015000000004"
			incoming := func(t *testing.T) {
				code, raw := w.call(t, http.MethodPost, "/api/incomingitems/v1", w.facilityKey,
					`{"incoming":[{"barcode":"39015000000004","collection":"LAW-ANNEX","title":"Remote Storage Law"}]}`)
				if code != http.StatusOK || !contains(raw, `"rejected_count":"0"`) {
					t.Fatalf("incomingitems: %d %s", code, raw)
				}
			}
			walkItem(t, w, b, []walk{
				{"incomingitems", incoming, caiasoft.StatusWaitingAccession, caiasoft.EventIncoming},
				{"receive", w.op("receive", b), caiasoft.StatusInAccession, caiasoft.EventReceive},
				{"accession", w.op("accession", b), caiasoft.StatusAtRest, caiasoft.EventAccession},
			})
			want := []string{"CheckInItem"}
			if !report {
				want = nil
			}
			wantNCIP(t, w, w.alma.Journal(), b, want...)
			if it, err := w.eng.ItemStatus(t.Context(), b); err != nil || it.Accessioned.IsZero() {
				t.Errorf("accessioned item: %+v %v", it, err)
			}
		})
	}
}

// TestLifecycleMissing: an item not on its shelf is "Item not Found", and
// its queued request is cancelled in ALMA.
func TestLifecycleMissing(t *testing.T) {
	w := newCaiaWorld(t, nil)
	const b = "39015000000001"
	walkRequest(t, w, w.facilityKey, b, caiasoft.JobPhysical, "LAW-CIRC", "MIS-1", caiasoft.StatusQueuePhysical,
		lifeStep{"missing", caiasoft.StatusNotFound, caiasoft.EventMissing})
	// Mock ALMA never had MIS-1 (it was posted to the facility directly),
	// so it answers the cancellation it is owed with a Problem.
	got, problems := w.ncipFor(t, w.alma.Journal(), b)
	if !slices.Equal(got, []string{"CancelRequestItem"}) || !slices.Equal(problems[0], []string{"Unknown Request"}) {
		t.Errorf("NCIP for %s: %v %v, want CancelRequestItem answered with Unknown Request", b, got, problems)
	}
}
