package enginetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/integration/store"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/alma"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/world"
)

// The demo facility's ALMA profile is the one under test; its institution
// and library are mock ALMA's demo ones.
const (
	institution = "01ANNEX_INST"
	almaProfile = "ANNEX"
)

// barcodeOf gives item i a fixed-width barcode, so that no barcode is a
// substring of another and logs line up.
func barcodeOf(i int) string { return fmt.Sprintf("3902%010d", i) }

// openStore opens a store of its own for a test of the store under load.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "annex.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// checkOut is a pending CheckOutItem for the i-th barcode, to a library
// that never answers: load for the store, never sent.
func checkOut(i int, created time.Time) store.Message {
	return store.Message{Profile: "alma-demo", Endpoint: "http://127.0.0.1:1/view/NCIPServlet",
		Transport: store.TransportHTTP, Service: "CheckOutItem", Barcode: barcodeOf(i), Payload: []byte("<NCIPMessage/>"), Created: created}
}

// requestIDOf names request i of a batch; batches keep ids unique across
// benchmark iterations, since the engine skips a request id it has seen.
func requestIDOf(batch string, i int) string { return fmt.Sprintf("REQ-%s-%06d", batch, i) }

func logger() *slog.Logger {
	if testing.Verbose() && os.Getenv("ANNEX_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// almaState is mock ALMA's demo institution holding n items in MAIN/ANNEX,
// with one pending PATRON_PHYSICAL request per item when requests is set.
func almaState(n int, requests bool) alma.State {
	st := alma.State{
		Institution: institution,
		Profiles:    []alma.Profile{{Code: almaProfile, Locations: []alma.LocationRef{{Library: "MAIN", Location: "ANNEX"}}}},
		Libraries: []alma.Library{{Code: "MAIN", Locations: []alma.Location{{Code: "STACKS"}, {Code: "ANNEX", RemoteStorage: true}},
			Desks: []alma.Desk{{Code: "CIRC"}}}},
		Users: []alma.User{{ID: "ANNEX-USER"}, {ID: "P000123"}},
		Items: make([]alma.Item, 0, n),
	}
	for i := range n {
		st.Items = append(st.Items, alma.Item{Barcode: barcodeOf(i), Library: "MAIN", Location: "ANNEX", MaterialType: "BOOK",
			MMSID: fmt.Sprintf("99%012d", i), ItemID: fmt.Sprintf("23%012d", i), Status: alma.StatusInPlace})
		if requests {
			st.Requests = append(st.Requests, alma.Request{ID: requestIDOf("A", i), Type: rsexport.TypePatronPhysical, Barcode: barcodeOf(i),
				MMSID: fmt.Sprintf("99%012d", i), PickupLibrary: "MAIN", PickupLocation: "CIRC",
				Patron: alma.Patron{Name: "Ada Reader", Identifier: "P000123"}, Step: alma.StepPending})
		}
	}
	return st
}

// inventory is the facility's side of the same n items.
func inventory(n int, prof string) []profile.InventoryItem {
	out := make([]profile.InventoryItem, 0, n)
	for i := range n {
		out = append(out, profile.InventoryItem{Barcode: barcodeOf(i), Collection: "MAIN-ANNEX", Material: "BOOK",
			Tray: fmt.Sprintf("R%02d-S%02d-T%04d", i/100000, i/10000%10, i%10000), Profile: prof})
	}
	return out
}

// startWorld starts the facility (engine, REST API, SFTP) serving the demo
// ALMA profile with n items in storage, and mock ALMA when acfg is not nil.
// The world closes at the end of the test, or earlier by closeWorld.
func startWorld(tb testing.TB, n int, acfg *alma.Config, retry profile.Retry) (*world.World, profile.Facility) {
	tb.Helper()
	fac, profs := profile.DemoFacility()
	p := profs[0]
	p.Retry = retry
	fac.Inventory = inventory(n, p.Name)
	if acfg != nil {
		acfg.Logger = logger()
	}
	w, err := world.Start(context.Background(), world.Options{Facility: fac, Profiles: []profile.Profile{p}, ALMA: acfg,
		DataDir: tb.TempDir(), Logger: logger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { closeWorld(tb, w) })
	return w, fac
}

var closed sync.Map // *world.World → struct{}: World.Close must run once

func closeWorld(tb testing.TB, w *world.World) {
	if _, done := closed.LoadOrStore(w, struct{}{}); done {
		return
	}
	if err := w.Close(); err != nil {
		tb.Errorf("close world: %v", err)
	}
}

// floor posts one floor operation to the engine's REST API.
func floor(ctx context.Context, engineURL, key, op, barcode string) error {
	body, _ := json.Marshal(map[string]string{"barcode": barcode})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, engineURL+"/api/floor/v1/"+op, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", op, barcode, resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// simCall sends a JSON body to a mock's /_sim/ API and decodes the answer.
func simCall(tb testing.TB, method, url string, body any, want int, out any) {
	tb.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: HTTP %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: %v", method, url, err)
		}
	}
}

// itemOf reads the barcode an incoming CheckOutItem or CheckInItem names.
func itemOf(e journal.Exchange) string {
	msg, _, err := ncip.Decode(e.Request, ncip.ParseOptions{})
	if err != nil {
		return ""
	}
	switch b := msg.Body.(type) {
	case *ncip.CheckOutItem:
		return b.ItemId.ItemIdentifierValue
	case *ncip.CheckInItem:
		return b.ItemId.ItemIdentifierValue
	}
	return ""
}

// processed reports whether mock ALMA acted on an exchange: no fault was
// injected (the 503, reset and no-answer faults here replace processing,
// they are not after_processing) and the answer was no Problem.
func processed(e journal.Exchange) bool { return e.Fault == "" && len(e.Problems) == 0 }

// writeRSExport streams an rsExport file of requests for items [0, n) in
// the layout mock ALMA's export job writes (simulators/alma/export.go, the
// real ALMA shape), without holding the file in memory.
func writeRSExport(w io.Writer, batch string, from, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<xb:%s xmlns:xb=\"%s\">\n", rsexport.Root, rsexport.Namespace)
	for i := from; i < from+n; i++ {
		fmt.Fprintf(bw, `  <xb:rsExport>
    <xb:requestType>PATRON_PHYSICAL</xb:requestType>
    <xb:requestId>%s</xb:requestId>
    <xb:pickup>
      <xb:library>MAIN</xb:library>
    </xb:pickup>
    <xb:operationalRecordinformation>
      <xb:permanent_physical_location_code>ANNEX</xb:permanent_physical_location_code>
    </xb:operationalRecordinformation>
    <xb:barcode>%s</xb:barcode>
    <xb:mmsId>99%012d</xb:mmsId>
    <xb:itemId>23%012d</xb:itemId>
    <xb:patronInfo>
      <xb:patronName>Ada Reader</xb:patronName>
      <xb:patronIdentifier>P000123</xb:patronIdentifier>
      <xb:patronEmail>ada@example.org</xb:patronEmail>
      <xb:patronAddress>1 Library Way</xb:patronAddress>
    </xb:patronInfo>
    <xb:shipAddress />
    <xb:libraryCode>MAIN</xb:libraryCode>
    <xb:bibliographicInformation />
    <xb:institutionCode>%s</xb:institutionCode>
  </xb:rsExport>
`, requestIDOf(batch, i), barcodeOf(i), i, i, institution)
	}
	fmt.Fprintf(bw, "</xb:%s>\n", rsexport.Root)
	return bw.Flush()
}
