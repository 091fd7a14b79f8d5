package runner

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitTotals
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitTotals
	Cases []junitCase `xml:"testcase"`
}

// junitTotals are the counts and time of a testsuite, and of testsuites
// summing them.
type junitTotals struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the results as JUnit XML (one testsuite, one testcase
// per scenario, classname = the scenario file), as CI systems read it.
func WriteJUnit(w io.Writer, results []Result, wall time.Duration) error {
	return WriteJUnitSuite(w, "annex scenarios", results, wall)
}

// WriteJUnitSuite is WriteJUnit with the testsuite's name, e.g. one per CI
// shard. A file that cannot be read is a testcase with an <error>.
func WriteJUnitSuite(w io.Writer, suite string, results []Result, wall time.Duration) error {
	s := junitSuite{Name: suite, junitTotals: junitTotals{Time: seconds(wall)}}
	for _, r := range results {
		c := junitCase{Name: r.Name, Classname: strings.TrimSuffix(r.File, ".yaml"), File: r.File, Time: seconds(r.Duration)}
		switch r.Status {
		case Failed:
			s.Failures++
			c.Failure = &junitFailure{Message: r.Line(), Type: "ScenarioFailure", Text: r.Failure.Details()}
		case Skipped:
			s.Skipped++
			c.Skipped = &struct{}{}
		case Errored:
			s.Errors++
			c.Error = &junitFailure{Message: r.Line(), Type: "UnreadableScenario", Text: r.Error}
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: "annex", junitTotals: s.junitTotals, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
