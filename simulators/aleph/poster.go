package aleph

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/simapi"
)

// TextLayout is a site's "text" request-file layout, as registered with the
// facility (docs/libraries.md, ALEPH, assumed): one line per request, columns either
// separated by Delimiter or, when Delimiter is empty, fixed-width.
type TextLayout struct {
	// Delimiter separates columns, e.g. "|" or "\t"; "" means fixed-width columns.
	Delimiter string `yaml:"delimiter"`
	// Header writes a first line with the column names.
	Header  bool         `yaml:"header"`
	Columns []TextColumn `yaml:"columns"`
}

// TextColumn is one column of a text layout.
type TextColumn struct {
	// Field is one of: request_id, barcode, patron_id, patron_name,
	// pickup_location, sub_library, title, author, call_number,
	// description, request_date, type, pages, note.
	Field string `yaml:"field"`
	// Width pads or cuts the value to this many characters (fixed-width
	// layouts; optional with a delimiter).
	Width int `yaml:"width"`
}

// textFields are the request fields a text layout can name.
var textFields = map[string]func(HoldRequest) string{
	"request_id":      func(r HoldRequest) string { return r.ID },
	"barcode":         func(r HoldRequest) string { return r.Barcode },
	"patron_id":       func(r HoldRequest) string { return r.PatronID },
	"patron_name":     func(r HoldRequest) string { return r.PatronName },
	"pickup_location": func(r HoldRequest) string { return r.PickupLocation },
	"sub_library":     func(r HoldRequest) string { return r.SubLibrary },
	"title":           func(r HoldRequest) string { return r.Title },
	"author":          func(r HoldRequest) string { return r.Author },
	"call_number":     func(r HoldRequest) string { return r.CallNumber },
	"description":     func(r HoldRequest) string { return r.Description },
	"request_date":    func(r HoldRequest) string { return r.RequestDate },
	"type":            func(r HoldRequest) string { return r.Type },
	"pages":           func(r HoldRequest) string { return r.Pages },
	"note":            func(r HoldRequest) string { return r.Note },
}

func textFieldNames() string {
	var names []string
	for k := range textFields {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// PostResult is what POST /_sim/post-requests answers.
type PostResult struct {
	// Posted is how many requests the file held; 0 means nothing was pending and nothing was sent.
	Posted int `json:"posted"`
	// Status and Body are the facility's answer.
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// Print layouts of hold-request slips (PosterConfig.Layout).
const (
	// LayoutALEPH22 prints everything in section-01, as ALEPH 22 sites'
	// hold-request-slip does (docs/libraries.md, ALEPH).
	LayoutALEPH22 = "aleph22"
	// LayoutLegacy prints the request, title and patron in section-01 and
	// each item in a repeatable section-02 with loan-exists, as older
	// layouts do.
	LayoutLegacy = "legacy"
)

// RenderRequests writes hold requests as the request file the poster would
// send, in the configured format. The same requests give the same bytes.
func RenderRequests(cfg PosterConfig, st State, reqs []HoldRequest) []byte {
	if cfg.Format == "text" {
		return renderText(cfg.Text, reqs)
	}
	return renderXML(cfg.Layout, st, reqs)
}

// slipWriter writes print-file slips from the library's state.
type slipWriter struct {
	b  bytes.Buffer
	st State
}

// subLibraryName is what ALEPH prints in z30-sub-library: the
// sublibrary's name, not its code.
func (w *slipWriter) subLibraryName(code string) string {
	return cmp.Or(w.st.SubLibraryNames[code], code)
}

func (w *slipWriter) leaf(name, text string) { leaf(&w.b, name, text) }

// bib writes the title fields: bib-info (ALEPH's one-line citation), z13-*.
func (w *slipWriter) bib(r HoldRequest) {
	bib := r.Title
	if r.Author != "" {
		bib += " / " + r.Author
	}
	w.leaf("bib-info", bib)
	w.leaf("z13-title", r.Title)
	w.leaf("z13-author", r.Author)
	w.leaf("z13-isbn-issn", r.ISBN)
}

// patron writes the z302 fields: address line 0 is the patron's name.
func (w *slipWriter) patron(r HoldRequest) {
	w.leaf("z302-id", r.PatronID)
	w.leaf("z302-address-0", r.PatronName)
	for i := range 4 {
		line := ""
		if i < len(r.PatronAddress) {
			line = r.PatronAddress[i]
		}
		w.leaf("z302-address-"+strconv.Itoa(i+1), line)
	}
	w.leaf("z302-email-address", r.PatronEmail)
	w.leaf("z302-telephone", r.PatronPhone)
}

// z30 writes one item's fields; section-02 items also say loan-exists.
func (w *slipWriter) z30(r HoldRequest, barcode string, loanExists bool) {
	it := w.st.item(barcode)
	callNo, sub, coll, loan := r.CallNumber, r.SubLibrary, "", "N"
	if it != nil {
		if barcode != r.Barcode || callNo == "" {
			callNo = it.CallNumber
		}
		sub, coll = cmp.Or(it.SubLibrary, sub), it.Collection
		if it.Status == StatusOnLoan {
			loan = "Y"
		}
	}
	desc := ""
	if barcode == r.Barcode {
		desc = r.Description
	}
	w.leaf("z30-barcode", barcode)
	w.leaf("z30-sub-library", w.subLibraryName(sub))
	w.leaf("z30-collection", coll)
	w.leaf("z30-call-no", callNo)
	w.leaf("z30-description", desc)
	if loanExists {
		w.leaf("loan-exists", loan)
	}
}

// slipItems are the items a slip lists in section-02: the request's Items
// when given (ALEPH lists the record's items), else its one item.
func slipItems(r HoldRequest) []string {
	if len(r.Items) > 0 {
		return r.Items
	}
	return []string{r.Barcode}
}

func (w *slipWriter) header(form string) {
	w.b.WriteString("## - XML_XSL\n<?xml version=\"1.0\"?>\n")
	w.b.WriteString("<printout>\n<form-name>" + form + "</form-name>\n<form-language>ENG</form-language>\n<form-format>00</form-format>\n")
}

// hold writes a hold-request-slip in the given layout; seq is the slip's
// place in the print run (z52-seq-number).
func (w *slipWriter) hold(layout string, r HoldRequest, seq int) {
	w.header("hold-request-slip")
	w.b.WriteString("<section-01>\n")
	w.bib(r)
	if layout != LayoutLegacy {
		w.z30(r, r.Barcode, false)
	}
	w.patron(r)
	w.leaf("z37-request-number", r.ID)
	w.leaf("z37-open-date", r.RequestDate)
	w.leaf("z37-request-date", r.RequestDate)
	w.leaf("z37-pickup-location", r.PickupLocation)
	w.leaf("z37-filter-sub-library", r.SubLibrary)
	coll := ""
	if it := w.st.item(r.Barcode); it != nil {
		coll = it.Collection
	}
	w.leaf("z37-filter-collection", coll)
	w.leaf("z37-note-1", r.Note)
	w.leaf("z37-note-2", "")
	w.leaf("z52-seq-number", fmt.Sprintf("%09d", seq))
	w.b.WriteString("</section-01>\n")
	if layout == LayoutLegacy {
		for _, b := range slipItems(r) {
			w.b.WriteString("<section-02>\n")
			w.z30(r, b, true)
			w.b.WriteString("</section-02>\n")
		}
	}
	w.b.WriteString("</printout>\n")
}

// photo writes a photo-request-slip: the title in section-01, the items in
// section-02, the patron and the request in section-03. The pickup
// location is a code here, unlike a hold slip's name.
func (w *slipWriter) photo(r HoldRequest) {
	w.header("photo-request-slip")
	w.b.WriteString("<section-01>\n")
	w.bib(r)
	w.b.WriteString("</section-01>\n")
	for _, b := range slipItems(r) {
		w.b.WriteString("<section-02>\n")
		w.z30(r, b, true)
		w.b.WriteString("</section-02>\n")
	}
	w.b.WriteString("<section-03>\n")
	w.patron(r)
	w.leaf("z38-number", r.ID)
	w.leaf("z38-title", r.Title)
	w.leaf("z38-author", r.Author)
	w.leaf("z38-pages", r.Pages)
	w.leaf("z38-note-1", r.Note)
	w.leaf("z38-note-2", "")
	w.leaf("z38-pickup-location", cmp.Or(r.PickupCode, r.SubLibrary))
	w.leaf("z38-filter-sub-library", r.SubLibrary)
	w.b.WriteString("</section-03>\n")
	w.b.WriteString("</printout>\n")
}

// renderXML writes ALEPH's print file: one printout per request, each
// after the print-file header line and an XML declaration, as ALEPH's
// print daemon concatenates them. Holds print as hold-request-slip in the
// layout, photocopies as photo-request-slip.
func renderXML(layout string, st State, reqs []HoldRequest) []byte {
	w := &slipWriter{st: st}
	for i, r := range reqs {
		if r.Type == RequestPhotocopy {
			w.photo(r)
		} else {
			w.hold(layout, r, i+1)
		}
	}
	return w.b.Bytes()
}

func leaf(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	for _, r := range text {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString("</" + name + ">\n")
}

// renderText writes one line per request in the registered layout.
func renderText(l TextLayout, reqs []HoldRequest) []byte {
	var b bytes.Buffer
	line := func(vals []string) {
		for i, v := range vals {
			col := l.Columns[i]
			if l.Delimiter != "" && i > 0 {
				b.WriteString(l.Delimiter)
			}
			if l.Delimiter != "" {
				// A delimiter inside a value would shift every later column.
				v = strings.ReplaceAll(v, l.Delimiter, " ")
			}
			v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			if col.Width > 0 {
				v = fitRunes(v, col.Width, l.Delimiter == "")
			}
			b.WriteString(v)
		}
		b.WriteByte('\n')
	}
	if l.Header {
		var names []string
		for _, c := range l.Columns {
			names = append(names, c.Field)
		}
		line(names)
	}
	for _, r := range reqs {
		vals := make([]string, len(l.Columns))
		for i, c := range l.Columns {
			vals[i] = textFields[c.Field](r)
		}
		line(vals)
	}
	return b.Bytes()
}

// fitRunes cuts v to width characters, padding with spaces when pad is set.
func fitRunes(v string, width int, pad bool) string {
	if n := utf8.RuneCountInString(v); n > width {
		rs := []rune(v)
		return string(rs[:width])
	} else if pad {
		return v + strings.Repeat(" ", width-n)
	}
	return v
}

// PostRequests sends the pending hold requests to the facility as one
// request file and, when the facility accepts it (2xx), marks them posted.
// The exchange is journaled with direction "out".
func (s *Server) PostRequests(ctx context.Context) (PostResult, error) {
	pc := s.cfg.Poster
	if pc.URL == "" {
		return PostResult{}, errors.New("post requests: poster.url is not configured")
	}
	s.state.mu.Lock()
	var pending []HoldRequest
	for _, r := range s.state.cur.Requests {
		if r.Status == RequestPending {
			pending = append(pending, r)
		}
	}
	st := s.state.cur.clone()
	s.state.mu.Unlock()
	if len(pending) == 0 {
		return PostResult{}, nil
	}
	body := RenderRequests(pc, st, pending)
	ct := pc.ContentType
	if ct == "" {
		ct = "application/xml; charset=UTF-8"
		if pc.Format == "text" {
			ct = "text/plain; charset=UTF-8"
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pc.URL, bytes.NewReader(body))
	if err != nil {
		return PostResult{}, fmt.Errorf("post requests: %w", err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", pc.APIKey)
	start := time.Now()
	e := journal.Exchange{Simulator: "aleph", Transport: "http-client", Direction: "out", Method: http.MethodPost,
		URL: pc.URL, RequestHeaders: req.Header.Clone(), Request: body, Service: "requestfile"}
	resp, err := s.client.Do(req)
	if err != nil {
		e.Time, e.Duration, e.Error = s.now(), time.Since(start), err.Error()
		s.journal.Add(e)
		return PostResult{}, fmt.Errorf("post requests: %w", err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, MaxMessage))
	e.Time, e.Duration = s.now(), time.Since(start)
	e.Status, e.ResponseHeaders, e.Response = resp.StatusCode, resp.Header.Clone(), rb
	if err != nil {
		e.Error = err.Error()
	}
	s.journal.Add(e)
	if err != nil {
		return PostResult{}, fmt.Errorf("post requests: read reply: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		s.state.mu.Lock()
		for i := range s.state.cur.Requests {
			for _, p := range pending {
				if s.state.cur.Requests[i].ID == p.ID {
					s.state.cur.Requests[i].Status = RequestPosted
				}
			}
		}
		s.state.mu.Unlock()
	}
	return PostResult{Posted: len(pending), Status: resp.StatusCode, Body: string(rb)}, nil
}

// servePostRequests is POST /_sim/post-requests.
func (s *Server) servePostRequests(w http.ResponseWriter, r *http.Request) {
	if !simapi.NoFields(w, r) {
		return
	}
	res, err := s.PostRequests(r.Context())
	if err != nil {
		simapi.WriteError(w, http.StatusBadGateway, err)
		return
	}
	simapi.WriteJSON(w, http.StatusOK, res)
}
