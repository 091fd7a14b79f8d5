package runner

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/annexlab/annex/scenarios/scenario"
	"github.com/annexlab/annex/simulators/journal"
)

// Exchange is one arrow of a scenario's sequence diagram.
type Exchange struct {
	Step     int
	From, To string
	Label    string
	// Request and Response are the bytes that crossed the wire, as text.
	Request, Response string
	Status            string
	Findings          []string
	ClosestMiss       string
	// Bad marks a Problem, a fault, a refusal or an error.
	Bad bool
	// Reply marks the answer arrow of a request/response pair.
	Reply bool
}

// lifelines of the diagram, left to right, in the order data flows.
func lifelines() []string {
	return []string{"scenario", scenario.LaneFloor, "ALMA", "ALEPH", "SFTP", "REST", "engine"}
}

func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	// An ISO-8859-1 message: show it decoded, since every byte is a code point.
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r) + "\n[shown decoded as ISO-8859-1]"
}

type sourced struct {
	x     Exchange
	time  time.Time
	order int
}

// exchanges merges the mocks' journals and the scenario's own exchanges into
// the diagram's arrows, in step order.
func exchanges(env *scenario.Env, m *marks) []Exchange {
	var all []sourced
	add := func(t time.Time, xs ...Exchange) {
		for _, x := range xs {
			all = append(all, sourced{x, t, len(all)})
		}
	}
	for _, ev := range env.Events() {
		x := Exchange{Step: ev.Step, From: ev.From, To: ev.To, Label: ev.Label, Request: text(ev.Request), Response: text(ev.Response), Status: ev.Status, Bad: ev.Failed}
		add(ev.Time, x)
		if !ev.Failed && (ev.To == "SFTP" || ev.To == "REST") {
			add(ev.Time, Exchange{Step: ev.Step, From: ev.To, To: "engine", Label: "file arrived / request", Reply: false})
		}
	}
	for _, sim := range []string{"alma", "aleph"} {
		j := m.journals()[sim]
		if j == nil {
			continue
		}
		name := strings.ToUpper(sim)
		for _, e := range j.All() {
			step := m.stepOf(sim, e.ID)
			add(e.Time, fromJournal(env, sim, name, step, e)...)
		}
	}
	slices.SortStableFunc(all, func(a, b sourced) int {
		return cmp.Or(cmp.Compare(a.x.Step, b.x.Step), a.time.Compare(b.time), cmp.Compare(a.order, b.order))
	})
	out := make([]Exchange, len(all))
	for i, s := range all {
		out[i] = s.x
	}
	return out
}

func fromJournal(env *scenario.Env, sim, name string, step int, e journal.Exchange) []Exchange {
	var findings []string
	for _, f := range e.Findings {
		findings = append(findings, f.Severity.String()+": "+f.String())
	}
	bad := len(e.Problems) > 0 || e.Fault != "" || e.Error != ""
	status := "ok"
	switch {
	case e.Fault != "":
		status = "fault " + e.Fault
	case e.Error != "":
		status = e.Error
	case len(e.Problems) > 0:
		status = "Problem: " + strings.Join(e.Problems, ", ")
	}
	base := Exchange{Step: step, Request: text(e.Request), Response: text(e.Response), Status: status, Findings: findings, ClosestMiss: e.ClosestMiss, Bad: bad}
	switch {
	case e.Direction == "out" && e.Transport == "sftp":
		a, b := base, base
		a.From, a.To, a.Label = name, "SFTP", "upload "+e.Service
		b.From, b.To, b.Label, b.Request, b.Response, b.Findings = "SFTP", "engine", "file arrived", "", "", nil
		return []Exchange{a, b}
	case e.Direction == "out" && e.Service == "requestfile":
		a, b := base, base
		a.From, a.To, a.Label = name, "REST", "POST request file"
		b.From, b.To, b.Label, b.Request, b.Response, b.Findings = "REST", "engine", "request file", "", "", nil
		return []Exchange{a, b}
	case e.Direction == "out":
		a := base
		a.From, a.To, a.Label = name, "engine", "NCIP "+e.Service
		r := Exchange{Step: step, From: "engine", To: name, Label: replyLabel(e), Reply: true, Bad: bad}
		return []Exchange{a, r}
	}
	from := "engine"
	if env.IsOwn(sim, e.ID) {
		from = "scenario"
	}
	a := base
	a.From, a.To, a.Label = from, name, "NCIP "+cmp.Or(e.Service, "?")+" ("+e.Transport+")"
	r := Exchange{Step: step, From: name, To: from, Label: replyLabel(e), Reply: true, Bad: bad}
	return []Exchange{a, r}
}

func replyLabel(e journal.Exchange) string {
	switch {
	case e.Fault != "":
		return "fault: " + e.Fault
	case e.Error != "":
		return "no answer: " + firstLine(e.Error, 60)
	case len(e.Problems) > 0:
		return "Problem: " + strings.Join(e.Problems, ", ")
	case e.Status != 0 && e.Status != 200:
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return "ok"
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}

// Diagram geometry.
const (
	colW    = 150
	rowH    = 26
	headH   = 40
	marginL = 60
)

// svg draws a scenario's exchanges as a sequence diagram: a lifeline for
// each party the scenario involved, an arrow per exchange, and the failing
// step (failed > 0) marked in red where it happened.
func svg(xs []Exchange, failed int, failure string) template.HTML {
	if len(xs) == 0 && failed == 0 {
		return ""
	}
	used := map[string]bool{}
	for _, x := range xs {
		used[x.From], used[x.To] = true, true
	}
	var cols []string
	for _, l := range lifelines() {
		if used[l] {
			cols = append(cols, l)
		}
	}
	colX := map[string]int{}
	for i, c := range cols {
		colX[c] = marginL + colW/2 + i*colW
	}
	// The failure gets a row of its own after the failing step's exchanges.
	rows := len(xs)
	markAt := -1
	if failed > 0 {
		markAt = len(xs)
		if i := slices.IndexFunc(xs, func(x Exchange) bool { return x.Step > failed }); i >= 0 {
			markAt = i
		}
		rows++
	}
	width := marginL + max(len(cols), 2)*colW
	height := headH + (rows+1)*rowH
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`, width, height, width, height)
	b.WriteString(`<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs>`)
	for _, c := range cols {
		x := colX[c]
		fmt.Fprintf(&b, `<rect x="%d" y="6" width="%d" height="22" rx="4" fill="#eef3fb" stroke="#5b7db1"/>`, x-colW/2+10, colW-20)
		fmt.Fprintf(&b, `<text x="%d" y="21" text-anchor="middle" font-weight="bold">%s</text>`, x, html.EscapeString(c))
		fmt.Fprintf(&b, `<line x1="%d" y1="28" x2="%d" y2="%d" stroke="#bbb" stroke-dasharray="4 3"/>`, x, x, height-4)
	}
	lastStep := -1
	row := 0
	stepLabel := func(y, step int) {
		if step == lastStep {
			return
		}
		fill, label := "#888", fmt.Sprintf("step %d", step)
		if step == failed {
			fill, label = "#c53030", fmt.Sprintf("step %d ✗", step)
			fmt.Fprintf(&b, `<rect class="failed-step" x="0" y="%d" width="%d" height="%d" fill="#fff5f5"/>`, y-rowH/2, width, rowH)
		}
		fmt.Fprintf(&b, `<text x="4" y="%d" fill="%s">%s</text>`, y+4, fill, label)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eee"/>`, marginL-8, y-rowH/2, width, y-rowH/2)
		lastStep = step
	}
	markFailure := func() {
		row++
		y := headH + row*rowH
		stepLabel(y, failed)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#c53030"><title>%s</title>failed: %s</text>`, marginL, y+4,
			html.EscapeString(failure), html.EscapeString(firstLine(failure, 80)))
	}
	for i, x := range xs {
		if i == markAt {
			markFailure()
		}
		row++
		y := headH + row*rowH
		stepLabel(y, x.Step)
		x1, x2 := colX[x.From], colX[x.To]
		color := "#2b6cb0"
		if x.Bad {
			color = "#c53030"
		}
		dash := ""
		if x.Reply {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5"%s marker-end="url(#a)"/>`, x1, y, x2, y, color, dash)
		lx := (x1 + x2) / 2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s"><title>%s</title>%s</text>`, lx, y-4, color,
			html.EscapeString(x.Status), html.EscapeString(firstLine(x.Label, 40)))
	}
	if markAt == len(xs) {
		markFailure()
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped parts above
}

type reportScenario struct {
	Result
	ID   string
	Took string
	SVG  template.HTML
	Diff []diffLine
}

type diffLine struct{ Class, Text string }

func diffLines(d string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
		c := ""
		switch {
		case strings.HasPrefix(l, "+"):
			c = "add"
		case strings.HasPrefix(l, "-"):
			c = "del"
		case strings.HasPrefix(l, "@@"):
			c = "hunk"
		}
		out = append(out, diffLine{c, l})
	}
	return out
}

// WriteHTML writes one self-contained HTML report: per scenario its
// sequence diagram (inline SVG), every message with its findings, and the
// failure with its diff. No external assets.
func WriteHTML(w io.Writer, results []Result) error {
	var data struct {
		Passed, Failed, Errored, Skipped int
		Scenarios                        []reportScenario
	}
	for i, r := range results {
		switch r.Status {
		case Passed:
			data.Passed++
		case Failed:
			data.Failed++
		case Errored:
			data.Errored++
		default:
			data.Skipped++
		}
		failed, failure := 0, ""
		if f := r.Failure; f != nil {
			failed, failure = f.Step, f.Text()
		}
		rs := reportScenario{Result: r, ID: fmt.Sprintf("s%d", i+1), Took: roundDur(r.Duration).String(), SVG: svg(r.Exchanges, failed, failure)}
		if r.Failure != nil && r.Failure.Diff != "" {
			rs.Diff = diffLines(r.Failure.Diff)
		}
		data.Scenarios = append(data.Scenarios, rs)
	}
	if err := template.Must(template.New("report").Parse(reportHTML)).Execute(w, data); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// reportHTML is the report's template; its CSS is inline so the file stands alone.
const reportHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>annex scenario report</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-bottom:.2em}
.pass{color:#276749} .fail{color:#c53030} .skip{color:#888}
section{border:1px solid #ddd;border-radius:6px;padding:.8em 1em;margin:1em 0}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}
.add{color:#276749;background:#f0fff4} .del{color:#c53030;background:#fff5f5} .hunk{color:#6b46c1}
.labels span{background:#edf2f7;border-radius:3px;padding:0 .4em;margin-right:.3em;font-size:.85em}
details{margin:.2em 0} summary{cursor:pointer;font-size:.9em}
.finding{color:#b7791f;font-size:.85em}
</style></head><body>
<h1>annex scenario report</h1>
<p><span class="pass">{{.Passed}} passed</span>, <span class="fail">{{.Failed}} failed</span>{{if .Errored}}, <span class="fail">{{.Errored}} errored</span>{{end}}{{if .Skipped}}, <span class="skip">{{.Skipped}} skipped</span>{{end}}</p>
<ul>{{range .Scenarios}}<li><a href="#{{.ID}}" class="{{template "class" .Status}}">{{.Name}}</a></li>{{end}}</ul>
{{range .Scenarios}}<section id="{{.ID}}">
<h2 class="{{template "class" .Status}}">{{if eq .Status "passed"}}PASS{{else if eq .Status "failed"}}FAIL{{else if eq .Status "errored"}}ERROR{{else}}SKIP{{end}} {{.Name}}</h2>
<div><code>{{.File}}</code>{{if ne .Status "errored"}} · {{.Took}}{{end}} <span class="labels">{{range .Labels}}<span>{{.}}</span>{{end}}</span></div>
{{if .Error}}<div class="fail"><b>the file cannot be read; nothing in it ran</b></div><pre>{{.Error}}</pre>{{end}}
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{with .Failure}}<div class="fail"><b>step {{.Step}} ({{.Where}})</b>: {{.Text}}</div>
{{if .ClosestMiss}}<p><b>closest miss:</b> {{.ClosestMiss}}</p>{{end}}
{{if .Journal}}<details open><summary>journal around the step</summary><pre>{{range .Journal}}{{.}}
{{end}}</pre></details>{{end}}{{end}}
{{if .Diff}}<pre>{{range .Diff}}<span class="{{.Class}}">{{.Text}}</span>
{{end}}</pre>{{end}}
{{.SVG}}
{{if .Exchanges}}<details><summary>messages ({{len .Exchanges}})</summary>
{{range $i, $x := .Exchanges}}{{if or $x.Request $x.Response}}<details><summary>step {{$x.Step}}: {{$x.From}} → {{$x.To}} {{$x.Label}} — {{$x.Status}}</summary>
{{range $x.Findings}}<div class="finding">{{.}}</div>{{end}}
{{if $x.ClosestMiss}}<div class="finding">closest miss: {{$x.ClosestMiss}}</div>{{end}}
{{if $x.Request}}<div>request</div><pre>{{$x.Request}}</pre>{{end}}
{{if $x.Response}}<div>response</div><pre>{{$x.Response}}</pre>{{end}}
</details>{{end}}{{end}}
</details>{{end}}
</section>{{end}}
{{define "class"}}{{if eq . "passed"}}pass{{else if or (eq . "failed") (eq . "errored")}}fail{{else}}skip{{end}}{{end}}
</body></html>
`
