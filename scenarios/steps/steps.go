// Package steps holds the scenario step kinds: the actions that drive a
// world (mock ALMA's export job, mock ALEPH's poster, SFTP uploads, REST
// calls, floor operations, faults, an engine restart, raw NCIP sends) and
// the expectations that check it (NCIP messages against golden files,
// requests, items, alerts, files, the outbox, the mocks' journals, the
// alert emails the mail catcher caught).
//
// Expectations wait on events, never on a timer: on the mocks' journals
// (Journal().Wait) and on the engine's outbox (WaitIdle), each bounded by
// the step's timeout.
package steps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/annexlab/annex/scenarios/scenario"
)

// Registry returns a registry holding every step kind of this package.
func Registry() *scenario.Registry {
	r := scenario.NewRegistry()
	kinds := []scenario.Kind{
		{Name: "alma.export", Doc: "mock ALMA's export job writes the pending requests and uploads them by SFTP", New: func() scenario.Action { return &ALMAExport{} }},
		{Name: "alma.delete", Doc: "a cataloguer deletes an item in ALMA, which sends DeleteItem to the facility", New: func() scenario.Action { return &ALMADelete{} }},
		{Name: "aleph.post", Doc: "mock ALEPH posts its pending hold requests to the facility's REST API", New: func() scenario.Action { return &ALEPHPost{} }},
		{Name: "sftp.upload", Doc: "upload a fixture file to the facility's SFTP server", New: func() scenario.Action { return &SFTPUpload{} }},
		{Name: "rest", Doc: "call the facility's REST API", New: func() scenario.Action { return &REST{} }},
		{Name: "facility.retrieve", Doc: "take an item out of storage (CheckOutItem)", New: func() scenario.Action { return &Floor{op: "retrieve"} }},
		{Name: "facility.refile", Doc: "put an item back in storage (CheckInItem)", New: func() scenario.Action { return &Floor{op: "refile"} }},
		{Name: "facility.missing", Doc: "mark an item missing: Item not Found (CancelRequestItem for ALMA)", New: func() scenario.Action { return &Floor{op: "missing"} }},
		{Name: "facility.scan_done", Doc: "an item pulled for e-retrieval is scanned: In Queue for Refile", New: func() scenario.Action { return &Floor{op: "scan_done"} }},
		{Name: "facility.return", Doc: "an item out on retrieval or SH-I-P service is back: In Queue for Refile", New: func() scenario.Action { return &Floor{op: "return"} }},
		{Name: "facility.deaccession", Doc: "take an item out of the inventory for good: Item has been Deaccessioned", New: func() scenario.Action { return &Floor{op: "deaccession"} }},
		{Name: "facility.receive", Doc: "an item announced by incomingitems arrives: Item In Accession Process", New: func() scenario.Action { return &Floor{op: "receive"} }},
		{Name: "facility.accession", Doc: "bring an item to rest in storage, new or announced (CheckInItem where the profile reports accessions)", New: func() scenario.Action { return &Accession{} }},
		{Name: "fault", Doc: "inject a fault into mock ALMA or mock ALEPH", New: func() scenario.Action { return &Fault{} }},
		{Name: "fault.clear", Doc: "retire every fault of a mock", New: func() scenario.Action { return &FaultClear{} }},
		{Name: "engine.restart", Doc: "close the engine and open it again on the same data directory", New: func() scenario.Action { return &EngineRestart{} }},
		{Name: "ncip.send", Doc: "send a fixture NCIP message to a mock, as some client would", New: func() scenario.Action { return &NCIPSend{} }},
		{Name: "expect.ncip", Doc: "an NCIP message the engine sent, its golden bytes and the mock's reply", New: func() scenario.Action { return &ExpectNCIP{} }},
		{Name: "expect.request", Doc: "a request as the engine recorded it", New: func() scenario.Action { return &ExpectRequest{} }},
		{Name: "expect.alma.item", Doc: "an item in mock ALMA's state", New: func() scenario.Action { return &ExpectALMAItem{} }},
		{Name: "expect.alma.request", Doc: "a request in mock ALMA's state", New: func() scenario.Action { return &ExpectALMARequest{} }},
		{Name: "expect.aleph.item", Doc: "an item in mock ALEPH's state", New: func() scenario.Action { return &ExpectALEPHItem{} }},
		{Name: "expect.facility.item", Doc: "an item in the facility's inventory", New: func() scenario.Action { return &ExpectFacilityItem{} }},
		{Name: "expect.alert", Doc: "alerts the engine raised", New: func() scenario.Action { return &ExpectAlert{} }},
		{Name: "expect.file", Doc: "request files the engine claimed and what became of them", New: func() scenario.Action { return &ExpectFile{} }},
		{Name: "expect.outbox", Doc: "NCIP messages in the engine's outbox and their delivery", New: func() scenario.Action { return &ExpectOutbox{} }},
		{Name: "expect.journal.clean", Doc: "no conformance finding of severity error in a mock's journal", New: func() scenario.Action { return &ExpectJournalClean{} }},
		{Name: "expect.email", Doc: "alert emails the mail catcher received (to, subject, body, count, within)", New: func() scenario.Action { return &ExpectEmail{} }},
		{Name: "expect.sftp.audit", Doc: "an entry in the SFTP server's audit log", New: func() scenario.Action { return &ExpectSFTPAudit{} }},
	}
	if err := r.Register(kinds...); err != nil {
		panic(err) // the list above is fixed: a duplicate is a programming error caught by any test
	}
	return r
}

// oneOf checks an enumerated field.
func oneOf(field, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%s: %q is not one of %s", field, v, strings.Join(allowed, ", "))
	}
	return nil
}

// checkErr compares an operation's error with the expected one ("" means none expected).
func checkErr(what string, err error, want string) error {
	switch {
	case want == "" && err != nil:
		return scenario.Failf("%s: %v", what, err)
	case want != "" && err == nil:
		return scenario.Failf("%s succeeded; want an error containing %q", what, want)
	case want != "" && !strings.Contains(err.Error(), want):
		return scenario.Failf("%s failed with %q; want an error containing %q", what, err, want)
	}
	return nil
}
