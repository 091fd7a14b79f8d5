package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/annexlab/annex/integration/profile"
	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/journal"
)

// ExpectNCIP checks the NCIP messages the engine sent to a mock: how many
// the mock received, the exact bytes of one against a golden file, and the
// kind of the mock's last reply.
type ExpectNCIP struct {
	// To is the mock that received the messages.
	To string `yaml:"to"`
	// Service is the NCIP service, e.g. CheckOutItem.
	Service string `yaml:"service"`
	// Barcode narrows the messages to one item.
	Barcode string `yaml:"barcode"`
	// Count is how many such exchanges the mock must have seen (retries
	// included); not given means at least one.
	Count *int `yaml:"count"`
	// Nth picks the message (1-based, in outbox order) compared with XML.
	Nth int `yaml:"nth" default:"1"`
	// XML is the golden file (relative to the scenario file) the message must equal.
	XML string `yaml:"xml" scenario:"golden"`
	// Mode is how XML is compared: exact bytes, or canonical (prefixes, attribute order and whitespace between elements do not matter).
	Mode string `yaml:"mode" default:"exact"`
	// Reply is the kind of the mock's last reply: a success or a Problem.
	Reply string `yaml:"reply"`
	// Problem is a ProblemType the last reply must carry.
	Problem string `yaml:"problem"`
}

// ExpectNCIP registers expect.ncip.
func (catalog) ExpectNCIP() scenario.Kind {
	return scenario.Kind{Name: "expect.ncip", Doc: "an NCIP message the engine sent, its golden bytes and the mock's reply",
		New: func() scenario.Action { return &ExpectNCIP{} }}
}

// Validate implements scenario.Validator.
func (x *ExpectNCIP) Validate() error {
	if err := oneOf("to", x.To, profile.SystemALMA, profile.SystemALEPH); err != nil {
		return err
	}
	if x.Service == "" {
		return errors.New("service is required")
	}
	if x.Mode == "" {
		x.Mode = scenario.ModeExact
	}
	if err := oneOf("mode", x.Mode, scenario.ModeExact, scenario.ModeCanonical); err != nil {
		return err
	}
	if x.Reply != "" {
		if err := oneOf("reply", x.Reply, "ok", "problem"); err != nil {
			return err
		}
	}
	if x.Count != nil && *x.Count == 0 && (x.XML != "" || x.Reply != "" || x.Problem != "") {
		return errors.New("count: 0 leaves nothing to compare with xml, reply or problem")
	}
	if x.Nth == 0 {
		x.Nth = 1
	}
	return nil
}

func (x *ExpectNCIP) matches(env *scenario.Env, e journal.Exchange) bool {
	return e.Direction == "in" && e.Service == x.Service && !env.IsOwn(x.To, e.ID) &&
		(x.Barcode == "" || bytes.Contains(e.Request, []byte(">"+x.Barcode+"<")))
}

// Run implements scenario.Action.
func (x *ExpectNCIP) Run(ctx context.Context, env *scenario.Env) error {
	m, err := mockOf(env, "expect.ncip", x.To)
	if err != nil {
		return err
	}
	j := m.journal
	want := 1
	if x.Count != nil {
		want = *x.Count
	}
	filter := func(es []journal.Exchange) []journal.Exchange {
		return slices.DeleteFunc(slices.Clone(es), func(e journal.Exchange) bool { return !x.matches(env, e) })
	}
	all, err := j.Wait(ctx, func(es []journal.Exchange) bool { return len(filter(es)) >= want })
	if err != nil {
		return x.closest(env, all, fmt.Sprintf("expect.ncip: %s received %d %s%s, want %d (%v)", x.To, len(filter(all)), x.Service, x.forItem(), want, err))
	}
	// Retries may still come: count once the outbox has settled.
	if err := idle(ctx, env, "expect.ncip"); err != nil {
		return err
	}
	got := filter(j.All())
	if x.Count != nil && len(got) != *x.Count {
		return x.closest(env, j.All(), fmt.Sprintf("expect.ncip: %s received %d %s%s, want %d", x.To, len(got), x.Service, x.forItem(), *x.Count))
	}
	if len(got) == 0 {
		return nil
	}
	lastEx := got[len(got)-1]
	problem := len(lastEx.Problems) > 0
	switch {
	case x.Reply == "ok" && (problem || lastEx.Fault != "" || lastEx.Error != ""):
		return &scenario.Failure{Msg: fmt.Sprintf("expect.ncip: %s answered the last %s%s with %s, want a success reply",
			x.To, x.Service, x.forItem(), describeReply(lastEx)), ClosestMiss: lastEx.ClosestMiss}
	case x.Reply == "problem" && !problem:
		return scenario.Failf("expect.ncip: %s answered the last %s%s with %s, want a Problem", x.To, x.Service, x.forItem(), describeReply(lastEx))
	case x.Problem != "" && !strings.Contains(strings.Join(lastEx.Problems, "\n"), x.Problem):
		return scenario.Failf("expect.ncip: %s answered the last %s%s with Problems %v, want %q", x.To, x.Service, x.forItem(), lastEx.Problems, x.Problem)
	}
	if x.XML == "" {
		return nil
	}
	payload, err := x.payload(ctx, env)
	if err != nil {
		return err
	}
	return compareGolden(env, x.XML, x.Mode, payload)
}

func (x *ExpectNCIP) forItem() string {
	if x.Barcode == "" {
		return ""
	}
	return " for " + x.Barcode
}

// closest adds the closest miss: among the requests the mock received
// (newest first), one that differs from the expectation in a single field,
// named with both values; or, when the right requests came but not as many
// as wanted, their count. A request that matched and has the mock's own
// miss gives that. Requests that differ in more than one way are not near,
// so nothing unrelated is offered.
func (x *ExpectNCIP) closest(env *scenario.Env, all []journal.Exchange, msg string) error {
	f := &scenario.Failure{Msg: msg}
	var matched []string
	var near *journal.Miss
	for i := len(all) - 1; i >= 0; i-- {
		e := all[i]
		if e.Direction != "in" || e.Service == "" || env.IsOwn(x.To, e.ID) {
			continue
		}
		barcode := e.Barcode()
		sameItem := x.Barcode == "" || barcode == x.Barcode
		switch {
		case e.Service == x.Service && sameItem:
			matched = append(matched, strconv.FormatInt(e.ID, 10))
			if near == nil && e.Miss != nil {
				m := *e.Miss
				near = &m
			}
		case near != nil:
		case e.Service == x.Service:
			near = &journal.Miss{Exchange: e.ID, Field: "barcode", Want: x.Barcode, Got: barcode,
				Hint: fmt.Sprintf("%s answered it with %s", x.To, describeReply(e))}
		case sameItem && x.Barcode != "":
			near = &journal.Miss{Exchange: e.ID, Field: "service", Want: x.Service, Got: e.Service,
				Hint: fmt.Sprintf("%s answered it with %s", x.To, describeReply(e))}
		}
	}
	if near == nil && len(matched) > 0 {
		want := "1 or more"
		if x.Count != nil {
			want = strconv.Itoa(*x.Count)
		}
		slices.Reverse(matched)
		near = &journal.Miss{Field: "count", Want: want, Got: strconv.Itoa(len(matched)), Hint: "exchanges " + strings.Join(matched, ", ")}
	}
	if near != nil {
		f.ClosestMiss = near.String()
		if near.Exchange > 0 {
			f.ClosestMiss = fmt.Sprintf("%s exchange %d: %s", x.To, near.Exchange, f.ClosestMiss)
		}
	}
	return f
}

func describeReply(e journal.Exchange) string {
	switch {
	case e.Fault != "":
		return "fault " + e.Fault
	case e.Error != "":
		return "error " + e.Error
	case len(e.Problems) > 0:
		return "Problem " + strings.Join(e.Problems, ", ")
	}
	return "a success reply"
}

// payload is the nth message's exact bytes, from the engine's outbox.
func (x *ExpectNCIP) payload(ctx context.Context, env *scenario.Env) ([]byte, error) {
	rows, err := env.World.Engine.Outbox(ctx)
	if err != nil {
		return nil, scenario.Failf("expect.ncip: outbox: %v", err)
	}
	n := 0
	for _, m := range rows {
		if m.Service != x.Service || env.SystemOf(m.Profile) != x.To || (x.Barcode != "" && m.Barcode != x.Barcode) {
			continue
		}
		n++
		if n == x.Nth {
			return m.Payload, nil
		}
	}
	return nil, scenario.Failf("expect.ncip: the outbox holds %d %s%s for %s, want a #%d", n, x.Service, x.forItem(), x.To, x.Nth)
}

// compareGolden compares a message with its golden file, or rewrites the file under --update.
func compareGolden(env *scenario.Env, rel, mode string, actual []byte) error {
	path := env.Scenario.Path(rel)
	golden, err := os.ReadFile(path)
	if err != nil && !(env.Update && os.IsNotExist(err)) {
		return scenario.Failf("expect.ncip: golden %s: %v", rel, err)
	}
	var diff string
	if err == nil {
		if diff, err = scenario.MatchGolden(golden, actual, mode, rel); err != nil {
			return scenario.Failf("expect.ncip: %v", err)
		}
		if diff == "" {
			return nil
		}
	}
	if env.Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return scenario.Failf("expect.ncip: update %s: %v", rel, err)
		}
		if mode == scenario.ModeCanonical {
			// Whitespace between elements does not count here: write it for people.
			if indented, ok := scenario.Indent(actual); ok {
				actual = indented
			}
		}
		if err := os.WriteFile(path, actual, 0o644); err != nil {
			return scenario.Failf("expect.ncip: update %s: %v", rel, err)
		}
		env.NoteUpdated(path)
		return nil
	}
	return &scenario.Failure{Msg: fmt.Sprintf("expect.ncip: the message differs from %s (%s)", rel, mode), Diff: diff}
}
