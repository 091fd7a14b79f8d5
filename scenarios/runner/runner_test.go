package runner_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/scenarios/runner"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/scenarios/steps"
)

var fixtures, _ = filepath.Abs("../../fixtures")

// scenarioWith writes a happy-path scenario whose CheckOutItem golden is given.
func scenarioWith(t *testing.T, golden string) (path, goldenPath string) {
	t.Helper()
	dir := t.TempDir()
	goldenPath = filepath.Join(dir, "checkout.xml")
	if err := os.WriteFile(goldenPath, []byte(golden), 0o644); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "s.yaml")
	body := `name: golden check
labels: [alma]
profile: ` + fixtures + `/profiles/alma-demo.yaml
steps:
  - alma.export: {}
  - facility.retrieve: {barcode: "39015000000001"}
  - expect.ncip: {to: alma, service: CheckOutItem, count: 1, reply: ok, xml: checkout.xml}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, goldenPath
}

func load(t *testing.T, path string, update bool) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load(path, steps.Registry(), scenario.Options{Update: update})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestGoldenOneCharacterDifference(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(fixtures, "ncip/alma/checkout-REQ-1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	path, _ := scenarioWith(t, strings.Replace(string(good), "REQ-1<", "REQ-7<", 1))
	r := runner.RunOne(t.Context(), load(t, path, false), runner.Options{})
	if r.Status != runner.Failed {
		t.Fatalf("a one-character golden difference passed: %s", r.Line())
	}
	if want := "step 3 (" + path + ":7): expect.ncip: the message differs from checkout.xml"; !strings.Contains(r.Line(), want) {
		t.Errorf("line %q does not contain %q", r.Line(), want)
	}
	d := r.Failure.Details()
	for _, want := range []string{"--- checkout.xml", "+++ actual", "-<ns1:RequestIdentifierValue>REQ-7</ns1:RequestIdentifierValue>",
		"+<ns1:RequestIdentifierValue>REQ-1</ns1:RequestIdentifierValue>", "journal around the step:", "alma #"} {
		if !strings.Contains(d, want) {
			t.Errorf("details lack %q:\n%s", want, d)
		}
	}
}

func TestUpdateRewritesGolden(t *testing.T) {
	path, golden := scenarioWith(t, "<stale/>")
	r := runner.RunOne(t.Context(), load(t, path, true), runner.Options{Update: true})
	if r.Status != runner.Passed || len(r.Updated) != 1 {
		t.Fatalf("%s, updated %v", r.Line(), r.Updated)
	}
	got, _ := os.ReadFile(golden)
	want, _ := os.ReadFile(filepath.Join(fixtures, "ncip/alma/checkout-REQ-1.xml"))
	if !bytes.Equal(got, want) {
		t.Errorf("rewritten golden:\n%s\nwant\n%s", got, want)
	}
	// And without --update it passes now.
	if r := runner.RunOne(t.Context(), load(t, path, false), runner.Options{}); r.Status != runner.Passed {
		t.Errorf("after update: %s", r.Line())
	}
}

func TestReports(t *testing.T) {
	good, _ := os.ReadFile(filepath.Join(fixtures, "ncip/alma/checkout-REQ-1.xml"))
	p1, _ := scenarioWith(t, string(good))
	p2, _ := scenarioWith(t, strings.Replace(string(good), "ANNEX-USER", "ANNEX-USR", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var lines []string
	rs := runner.Run(ctx, []*scenario.Scenario{load(t, p1, false), load(t, p2, false)}, runner.Options{}, func(r runner.Result) { lines = append(lines, r.Line()) })
	if len(lines) != 2 || rs[0].Status != runner.Passed || rs[1].Status != runner.Failed {
		t.Fatalf("results: %v", lines)
	}
	var junit bytes.Buffer
	if err := runner.WriteJUnit(&junit, rs, time.Second); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit is not well-formed: %v\n%s", err, junit.String())
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || doc.Suites[0].Cases[1].Failure == nil ||
		!strings.Contains(doc.Suites[0].Cases[1].Failure.Text, "-<ns1:UserIdentifierValue>ANNEX-USR") {
		t.Errorf("JUnit: %+v\n%s", doc, junit.String())
	}
	var html bytes.Buffer
	if err := runner.WriteHTML(&html, rs); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	if n := strings.Count(h, "<svg "); n != 2 {
		t.Errorf("%d <svg> in the report, want one per scenario", n)
	}
	for _, want := range []string{"CheckOutItem", "&lt;ns1:NCIPMessage", `class="del"`, "FAIL golden check"} {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(h, "<script") || strings.Contains(h, "http://") && strings.Contains(h, `src="http`) {
		t.Error("the report must be self-contained")
	}
}

// svgOf is the sequence diagram of the only scenario in an HTML report.
func svgOf(t *testing.T, r runner.Result) string {
	t.Helper()
	var html bytes.Buffer
	if err := runner.WriteHTML(&html, []runner.Result{r}); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	i, j := strings.Index(h, "<svg "), strings.Index(h, "</svg>")
	if i < 0 || j < i {
		t.Fatalf("no diagram in the report:\n%s", h)
	}
	return h[i:j]
}

// TestReportDiagram: the diagram has a lifeline only for the parties the
// scenario involved, shows floor operations, and marks the failing step.
func TestReportDiagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	body := `name: retrieve, then a request that is not there
profile: ` + fixtures + `/profiles/alma-demo.yaml
steps:
  - facility.retrieve: {barcode: "39015000000001"}
  - expect.request: {id: NO-SUCH-REQUEST, status: accepted, timeout: 200ms}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runner.RunOne(t.Context(), load(t, path, false), runner.Options{})
	if r.Status != runner.Failed || r.Failure.Step != 2 {
		t.Fatalf("%s", r.Line())
	}
	svg := svgOf(t, r)
	for _, want := range []string{">floor</text>", ">retrieve 39015000000001<", ">engine</text>", ">ALMA</text>", `class="failed-step"`, "step 2 ✗", "failed: expect.request"} {
		if !strings.Contains(svg, want) {
			t.Errorf("diagram lacks %q:\n%s", want, svg)
		}
	}
	for _, unused := range []string{">ALEPH</text>", ">SFTP</text>", ">REST</text>", ">scenario</text>"} {
		if strings.Contains(svg, unused) {
			t.Errorf("diagram draws the unused lifeline %q", unused)
		}
	}
	if d := r.Failure.Details(); strings.Contains(d, "expect.request: expect.request") {
		t.Errorf("the step kind is doubled: %s", d)
	}
}

// TestUpdateWritesCanonicalGoldensIndented: under --update a golden that is
// compared canonically is written one element per line, and it passes.
func TestUpdateWritesCanonicalGoldensIndented(t *testing.T) {
	path, golden := scenarioWith(t, "<stale/>")
	body, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(body, []byte("xml: checkout.xml}"), []byte("xml: checkout.xml, mode: canonical}"), 1), 0o644)
	if r := runner.RunOne(t.Context(), load(t, path, true), runner.Options{Update: true}); r.Status != runner.Passed || len(r.Updated) != 1 {
		t.Fatalf("%s, updated %v", r.Line(), r.Updated)
	}
	got, _ := os.ReadFile(golden)
	if n := bytes.Count(got, []byte("\n")); n < 10 || !bytes.Contains(got, []byte("\n  <ns1:CheckOutItem>")) {
		t.Errorf("rewritten canonical golden is not indented (%d lines):\n%s", n, got)
	}
	if r := runner.RunOne(t.Context(), load(t, path, false), runner.Options{}); r.Status != runner.Passed {
		t.Errorf("after update: %s", r.Line())
	}
}

// A step that runs out of time says so in the scenario's terms, with its
// limit and how to raise it, not Go's bare "context deadline exceeded"
// (issue 13 finding 13).
func TestStepTimeoutSaysWhich(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	body := `name: no answer
profile: ` + fixtures + `/profiles/alma-demo.yaml
steps:
  - fault: {on: alma, kind: no-answer}
  - ncip.send: {to: alma, file: ` + fixtures + `/ncip/alma/checkin-39015000000001.xml, timeout: 200ms}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runner.RunOne(t.Context(), load(t, path, false), runner.Options{})
	if r.Status != runner.Failed {
		t.Fatalf("a step with no answer passed: %s", r.Line())
	}
	line := r.Line()
	if want := "no result within the step's timeout of 200ms (give the step a longer `timeout:`)"; !strings.Contains(line, want) {
		t.Errorf("line %q does not contain %q", line, want)
	}
	if strings.Contains(line, "context deadline exceeded") {
		t.Errorf("line speaks Go: %q", line)
	}
}

// writeScenario writes a scenario of the demo ALMA profile with the given steps.
func writeScenario(t *testing.T, steps string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	body := "name: closest miss\nlabels: [alma]\nprofile: " + fixtures + "/profiles/alma-demo.yaml\nsteps:\n" + steps
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The closest miss names the field that differs and both its values, and
// a failure that no exchange explains shows none, rather than a note about
// an unrelated exchange (issue 13 finding 12).
func TestClosestMissOnTopic(t *testing.T) {
	t.Run("other barcode", func(t *testing.T) {
		r := runner.RunOne(t.Context(), load(t, writeScenario(t, `  - alma.export: {}
  - facility.retrieve: {barcode: "39015000000001"}
  - expect.ncip: {to: alma, service: CheckOutItem, barcode: "39015000000002", timeout: 1s}
`), false), runner.Options{})
		if r.Status != runner.Failed {
			t.Fatalf("passed: %s", r.Line())
		}
		want := `barcode: got "39015000000001", want "39015000000002" (alma answered it with a success reply)`
		if !strings.Contains(r.Failure.ClosestMiss, want) || !strings.HasPrefix(r.Failure.ClosestMiss, "alma exchange ") {
			t.Errorf("closest miss %q, want %q", r.Failure.ClosestMiss, want)
		}
	})
	t.Run("count", func(t *testing.T) {
		r := runner.RunOne(t.Context(), load(t, writeScenario(t, `  - alma.export: {}
  - facility.retrieve: {barcode: "39015000000001"}
  - expect.ncip: {to: alma, service: CheckOutItem, barcode: "39015000000001", count: 2, timeout: 1s}
`), false), runner.Options{})
		if r.Status != runner.Failed || !strings.HasPrefix(r.Failure.ClosestMiss, `count: got "1", want "2" (exchanges `) {
			t.Errorf("%s: closest miss %q", r.Line(), r.Failure.ClosestMiss)
		}
	})
	t.Run("no exchange explains it", func(t *testing.T) {
		r := runner.RunOne(t.Context(), load(t, writeScenario(t, `  - alma.export: {}
  - expect.request: {id: REQ-1, status: denied, timeout: 1s}
`), false), runner.Options{})
		if r.Status != runner.Failed {
			t.Fatalf("passed: %s", r.Line())
		}
		if d := r.Failure.Details(); r.Failure.ClosestMiss != "" || strings.Contains(d, "closest miss") {
			t.Errorf("a request-status failure shows a closest miss:\n%s", d)
		}
	})
}
