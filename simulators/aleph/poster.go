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
	"strings"
	"time"
	"unicode/utf8"

	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/simapi"
)

// TextLayout is a site's "text" request-file layout, as registered with the
// facility (DESIGN §1.2, assumed): one line per request, columns either
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

// RenderRequests writes hold requests as the request file the poster would
// send, in the configured format. The same requests give the same bytes.
func RenderRequests(cfg PosterConfig, items []Item, reqs []HoldRequest) []byte {
	if cfg.Format == "text" {
		return renderText(cfg.Text, reqs)
	}
	return renderXML(items, reqs)
}

// renderXML writes ALEPH hold-request slips: the print-file header line,
// an XML declaration, then one <printout> per request.
func renderXML(items []Item, reqs []HoldRequest) []byte {
	var b bytes.Buffer
	b.WriteString("## - XML_XSL\n<?xml version=\"1.0\"?>\n")
	for _, r := range reqs {
		b.WriteString("<printout>\n<form-name>hold-request-slip</form-name>\n<form-language>ENG</form-language>\n")
		b.WriteString("<section-01>\n")
		// Z37-ID is, in ALEPH, the patron's id; the request is z37-request-number.
		leaf(&b, "z37-request-number", r.ID)
		leaf(&b, "z37-id", r.PatronID)
		leaf(&b, "z37-pickup-location", r.PickupLocation)
		leaf(&b, "z37-filter-sub-library", r.SubLibrary)
		leaf(&b, "z37-open-date", r.RequestDate)
		leaf(&b, "z37-request-type", cmp.Or(r.Type, RequestHold))
		leaf(&b, "z13-title", r.Title)
		leaf(&b, "z13-author", r.Author)
		leaf(&b, "z302-name", r.PatronName)
		leaf(&b, "z302-id", r.PatronID)
		b.WriteString("</section-01>\n")
		var it *Item
		for i := range items {
			if items[i].Barcode == r.Barcode {
				it = &items[i]
			}
		}
		b.WriteString("<section-02>\n")
		leaf(&b, "z30-barcode", r.Barcode)
		callNo, sub, loan := r.CallNumber, r.SubLibrary, "N"
		if it != nil {
			callNo = cmp.Or(callNo, it.CallNumber)
			sub = cmp.Or(it.SubLibrary, sub)
			if it.Status == StatusOnLoan {
				loan = "Y"
			}
		}
		leaf(&b, "z30-call-no", callNo)
		leaf(&b, "z30-description", r.Description)
		leaf(&b, "z30-sub-library", sub)
		if it != nil && it.Collection != "" {
			leaf(&b, "z30-collection", it.Collection)
		}
		leaf(&b, "loan-exists", loan)
		b.WriteString("</section-02>\n")
		if r.Type == RequestPhotocopy {
			b.WriteString("<section-03>\n")
			leaf(&b, "z38-request-number", r.ID)
			leaf(&b, "z38-id", r.PatronID)
			leaf(&b, "z38-pages", r.Pages)
			leaf(&b, "z38-note-1", r.Note)
			leaf(&b, "z38-open-date", r.RequestDate)
			b.WriteString("</section-03>\n")
		}
		b.WriteString("</printout>\n")
	}
	return b.Bytes()
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
	items := slices.Clone(s.state.cur.Items)
	s.state.mu.Unlock()
	if len(pending) == 0 {
		return PostResult{}, nil
	}
	body := RenderRequests(pc, items, pending)
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
	res, err := s.PostRequests(r.Context())
	if err != nil {
		simapi.WriteError(w, http.StatusBadGateway, err)
		return
	}
	simapi.WriteJSON(w, http.StatusOK, res)
}
