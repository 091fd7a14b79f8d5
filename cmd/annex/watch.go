package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/journal"
)

// watchWait is how long one journal request waits for the next exchange:
// the journal answers as soon as one comes, so it only bounds how long a
// follower takes to notice a simulator gone quiet for good.
const watchWait = 50 * time.Second

// facilityParty is the other side of every exchange a mock journals: in
// annex up (and in production) the facility engine is the mocks' only peer.
const facilityParty = "facility"

const watchUsage = `watch [--service NAME] [--barcode B] [--party P] [-v] [--json] [--color auto|always|never] [--all] [--count N] [URL…]

Follows the journals of running simulators and prints every exchange as it happens:
party → party, transport, service, barcode, outcome, Problems and conformance findings.
The URLs are simulators' base addresses (or their /_sim/journal); default: the mock ALMA
and mock ALEPH of 'annex up' (` + "http://" + defaultALMAAddr + ", http://" + defaultALEPHAddr + `).

Example:
  annex watch --service CheckOutItem -v`

// watchFilter selects the exchanges watch prints.
type watchFilter struct{ service, barcode, party string }

// watchEvent is one exchange as watch prints it with --json: the journal's
// exchange with the parties, the item and the outcome made explicit.
type watchEvent struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Barcode string `json:"barcode,omitempty"`
	Outcome string `json:"outcome"`
	journal.Exchange
}

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("watch", watchUsage, stderr)
	var f watchFilter
	fs.StringVar(&f.service, "service", "", "only this NCIP service (CheckOutItem, …)")
	fs.StringVar(&f.barcode, "barcode", "", "only exchanges about this item")
	fs.StringVar(&f.party, "party", "", "only exchanges to or from this party (alma, aleph, facility)")
	verbose := fs.Bool("v", false, "print the request and the reply, XML indented")
	asJSON := fs.Bool("json", false, "one JSON object per exchange, for tools")
	color := fs.String("color", "auto", "auto (on a terminal, unless NO_COLOR is set), always or never")
	all := fs.Bool("all", false, "print the exchanges already journaled first")
	count := fs.Int("count", 0, "exit 0 after printing this many exchanges (0: run until interrupted)")
	pos, code, ok := parseArgs(fs, args, nil)
	if !ok {
		return code
	}
	if *count < 0 {
		fmt.Fprintf(stderr, "annex watch: --count %d: want 0 (no limit) or more\n", *count)
		return exitTrouble
	}
	var paint bool
	switch *color {
	case "auto":
		out, ok := stdout.(*os.File)
		paint = ok && isatty.IsTerminal(out.Fd()) && os.Getenv("NO_COLOR") == ""
	case "always":
		paint = true
	case "never":
	default:
		fmt.Fprintf(stderr, "annex watch: --color %q: want auto, always or never\n", *color)
		return exitTrouble
	}
	if len(pos) == 0 {
		pos = []string{"http://" + defaultALMAAddr, "http://" + defaultALEPHAddr}
	}
	bases := make([]string, len(pos))
	for i, p := range pos {
		var err error
		if bases[i], err = journalBase(p); err != nil {
			fmt.Fprintf(stderr, "annex watch: %v\n", err)
			return exitTrouble
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan journal.Exchange)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, base := range bases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready := func(after int64) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(stderr, "annex watch: following %s (exchanges after #%d)\n", base, after)
			}
			if err := followJournal(ctx, base, *all, events, ready); err != nil && ctx.Err() == nil {
				mu.Lock()
				defer mu.Unlock()
				failed++
				fmt.Fprintf(stderr, "annex watch: %s: %v\n", base, err)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(events)
	}()
	p := watchPrinter{w: stdout, verbose: *verbose, json: *asJSON, paint: paint}
	printed := 0
	for e := range events {
		ev := describeExchange(e)
		if !f.keep(ev) {
			continue
		}
		p.print(ev)
		if printed++; printed == *count {
			return exitOK
		}
	}
	if ctx.Err() == nil && failed > 0 {
		return exitTrouble
	}
	return exitOK
}

// journalBase is a simulator's base URL from what the user gave: the base
// itself, its /_sim/ or its /_sim/journal.
func journalBase(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q: want a simulator's URL, such as http://%s", s, defaultALMAAddr)
	}
	path := strings.TrimRight(u.Path, "/")
	path = strings.TrimSuffix(strings.TrimSuffix(path, "/journal"), "/_sim")
	u.Path, u.RawQuery, u.Fragment = path, "", ""
	return u.String(), nil
}

// followJournal sends every exchange of base's journal to out as it
// happens: each request waits on the journal (wait=…) until something
// comes, so nothing is polled. Without all it starts at the newest
// exchange; ready is told where it starts. It returns when ctx ends or
// the simulator cannot be reached.
func followJournal(ctx context.Context, base string, all bool, out chan<- journal.Exchange, ready func(after int64)) error {
	var after int64
	if !all {
		_, last, err := journalPage(ctx, base+"/_sim/journal?limit=1&after="+strconv.FormatInt(1<<62, 10))
		if err != nil {
			return err
		}
		after = last
	}
	ready(after)
	for {
		page, last, err := journalPage(ctx, fmt.Sprintf("%s/_sim/journal?after=%d&wait=%s", base, after, watchWait))
		if err != nil {
			return err
		}
		if last < after {
			// The simulator restarted and counts from 1 again: show what it has.
			after = 0
			continue
		}
		for _, e := range page {
			select {
			case out <- e:
			case <-ctx.Done():
				return ctx.Err()
			}
			after = e.ID
		}
	}
}

// journalPage GETs one page of a journal, and the newest id it holds.
func journalPage(ctx context.Context, u string) ([]journal.Exchange, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, fmt.Errorf("%w (is annex up, or the simulator, running?)", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, 0, fmt.Errorf("GET %s: HTTP %d: %s", u, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	var page []journal.Exchange
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	last, err := strconv.ParseInt(resp.Header.Get("Journal-Last-Id"), 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: no Journal-Last-Id header: is this an annex simulator?", u)
	}
	return page, last, nil
}

// describeExchange names the parties, the item and the outcome of e.
func describeExchange(e journal.Exchange) watchEvent {
	ev := watchEvent{From: facilityParty, To: e.Simulator, Barcode: e.Barcode(), Exchange: e}
	if e.Direction == "out" {
		ev.From, ev.To = e.Simulator, facilityParty
	}
	switch {
	case len(e.Problems) > 0:
		ev.Outcome = "Problem " + strings.Join(e.Problems, ", ")
		if e.Fault != "" {
			ev.Outcome += " (fault " + e.Fault + ")"
		}
	case e.Fault != "":
		ev.Outcome = "fault " + e.Fault
	case e.Error != "":
		ev.Outcome = "error: " + e.Error
	case e.Status >= 400:
		ev.Outcome = "HTTP " + strconv.Itoa(e.Status)
	default:
		ev.Outcome = "ok"
	}
	return ev
}

func (f watchFilter) keep(ev watchEvent) bool {
	return (f.service == "" || strings.EqualFold(ev.Service, f.service)) &&
		(f.barcode == "" || ev.Barcode == f.barcode) &&
		(f.party == "" || strings.EqualFold(ev.From, f.party) || strings.EqualFold(ev.To, f.party))
}

// ANSI colours, used only on a terminal (or with --color always).
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
)

type watchPrinter struct {
	w                    io.Writer
	verbose, json, paint bool
}

func (p watchPrinter) c(code, s string) string {
	if !p.paint || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (p watchPrinter) print(ev watchEvent) {
	if p.json {
		b, err := json.Marshal(ev)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": fmt.Sprintf("exchange %d: %v", ev.ID, err)})
		}
		p.w.Write(append(b, '\n'))
		return
	}
	var b strings.Builder
	outcome := p.c(ansiGreen, ev.Outcome)
	if ev.Outcome != "ok" {
		outcome = p.c(ansiRed, ev.Outcome)
	}
	what := ev.Service
	if what == "" {
		what = "-"
	}
	barcode := ev.Barcode
	if barcode == "" {
		barcode = "-"
	}
	fmt.Fprintf(&b, "%s %s → %s %s %s %s %s\n", p.c(ansiDim, ev.Time.Format("15:04:05.000")), ev.From, ev.To, ev.Transport,
		p.c(ansiBold, what), barcode, outcome)
	for _, f := range ev.Findings {
		fmt.Fprintf(&b, "    %s %s\n", p.c(ansiYellow, f.Severity.String()+":"), f.String())
	}
	if ev.ConformanceFailure != "" {
		fmt.Fprintf(&b, "    %s %s\n", p.c(ansiYellow, "not conformant:"), ev.ConformanceFailure)
	}
	if ev.ClosestMiss != "" {
		fmt.Fprintf(&b, "    %s %s\n", p.c(ansiYellow, "closest miss:"), ev.ClosestMiss)
	}
	if p.verbose {
		if ev.URL != "" {
			fmt.Fprintf(&b, "    %s %s\n", ev.Method, ev.URL)
		}
		for _, part := range []struct {
			name string
			body journal.Raw
		}{{"request", ev.Request}, {"reply", ev.Response}} {
			if len(part.body) > 0 {
				fmt.Fprintf(&b, "    %s:\n%s\n", part.name, indentLines(strings.TrimRight(prettyXML(part.body), "\n")))
			}
		}
	}
	io.WriteString(p.w, b.String())
}

// prettyXML indents an XML message one element a line; what is not XML
// (a request file, a cut body) is shown as it is.
func prettyXML(raw []byte) string {
	doc, err := ncip.Parse(raw, ncip.ParseOptions{})
	if err != nil || doc.Root == nil {
		return string(raw)
	}
	var b strings.Builder
	writeElement(&b, doc.Root, 0)
	return b.String()
}

func writeElement(b *strings.Builder, el *ncip.Element, depth int) {
	name := el.Name
	if el.Prefix != "" {
		name = el.Prefix + ":" + el.Name
	}
	b.WriteString(strings.Repeat("  ", depth) + "<" + name)
	for _, a := range el.Attrs {
		an := a.Name
		if a.Prefix != "" {
			an = a.Prefix + ":" + a.Name
		}
		fmt.Fprintf(b, " %s=\"%s\"", an, html.EscapeString(a.Value))
	}
	text := strings.TrimSpace(el.Text)
	switch {
	case len(el.Children) == 0 && text == "":
		b.WriteString("/>\n")
	case len(el.Children) == 0:
		b.WriteString(">" + html.EscapeString(text) + "</" + name + ">\n")
	default:
		b.WriteString(">\n")
		if text != "" {
			b.WriteString(strings.Repeat("  ", depth+1) + html.EscapeString(text) + "\n")
		}
		for _, c := range el.Children {
			writeElement(b, c, depth+1)
		}
		b.WriteString(strings.Repeat("  ", depth) + "</" + name + ">\n")
	}
}
