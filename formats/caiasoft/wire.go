package caiasoft

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// CircRequest is one entry of POST circrequests/v1's "requests". Every
// field is optional on the wire and null reads as "".
type CircRequest struct {
	Barcode       string `json:"barcode"`
	RequestType   string `json:"request_type"`
	Stop          string `json:"stop"`
	RequestID     string `json:"request_id"`
	Requestor     string `json:"requestor"`
	PatronID      string `json:"patron_id"`
	Title         string `json:"title"`
	Author        string `json:"author"`
	Volume        string `json:"volume"`
	CallNumber    string `json:"call_number"`
	ArticleTitle  string `json:"article_title"`
	ArticleAuthor string `json:"article_author"`
	ArticlePages  string `json:"article_pages"`
	Details       string `json:"details"`
}

// Result is one request's outcome in a circrequests (or requestfile) reply.
type Result struct {
	Item    string `json:"item"`
	Deny    string `json:"deny"` // "Y" or "N"
	IStatus string `json:"istatus"`
}

// CircReply is the reply of circrequests and requestfile.
type CircReply struct {
	Success      bool     `json:"success"`
	Error        string   `json:"error"`
	RequestCount string   `json:"request_count"`
	Results      []Result `json:"results"`
}

// ItemStatusReply is the reply of GET itemstatus/v1/{barcode}.
type ItemStatusReply struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	Barcode string `json:"barcode"`
	Status  string `json:"status"`
}

// ItemStatus is one item of an itemstatuslist reply.
type ItemStatus struct {
	Barcode string `json:"barcode"`
	Status  string `json:"status"`
}

// ItemStatusListReply is the reply of POST itemstatuslist/v1.
type ItemStatusListReply struct {
	Success   bool         `json:"success"`
	Error     string       `json:"error"`
	ItemCount string       `json:"item_count"`
	Items     []ItemStatus `json:"items"`
}

// Bib is an item's bibliographic data, as incomingitems and itemupdates
// carry it.
type Bib struct {
	Title      string `json:"title"`
	Author     string `json:"author"`
	Volume     string `json:"volume"`
	CallNumber string `json:"call_number"`
	ISBN       string `json:"isbn"`
	ISSN       string `json:"issn"`
	LCCN       string `json:"lccn"`
	OCLC       string `json:"oclc"`
}

// IncomingItem is one entry of POST incomingitems/v1's "incoming".
type IncomingItem struct {
	Barcode    string `json:"barcode"`
	Collection string `json:"collection"`
	Material   string `json:"material"`
	Tray       string `json:"tray"`
	Bib
}

// ItemUpdate is one entry of POST itemupdates/v1's "items": a blank value
// leaves the field as it is, ClearField (or a value starting with it)
// clears it.
type ItemUpdate struct {
	Barcode    string `json:"barcode"`
	Collection string `json:"collection"`
	Material   string `json:"material"`
	Tray       string `json:"tray"`
	Bib
}

// Note is one reject, error or warning of incomingitems and itemupdates
// (the shape is assumed: CaiaSoft's public record shows the lists only).
type Note struct {
	Barcode string `json:"barcode"`
	Message string `json:"message"`
}

// IncomingReply is the reply of incomingitems.
type IncomingReply struct {
	Success       bool   `json:"success"`
	Error         string `json:"error"`
	IncomingCount string `json:"incoming_count"`
	RejectedCount string `json:"rejected_count"`
	Rejects       []Note `json:"rejects"`
	Warnings      []Note `json:"warnings"`
}

// ItemUpdatesReply is the reply of itemupdates.
type ItemUpdatesReply struct {
	Success      bool   `json:"success"`
	Error        string `json:"error"`
	TotalCount   string `json:"total_count"`
	UpdatedCount string `json:"updated_count"`
	Errors       []Note `json:"errors"`
	Warnings     []Note `json:"warnings"`
}

// Entry is one decoded list entry and the fields it carried that annex
// does not read (CaiaSoft's clients send more than a facility reads: they
// are ignored, and recorded).
type Entry[T any] struct {
	Value   T
	Unknown []string
	Raw     json.RawMessage
}

// ErrBatch is wrapped by Decode when a list holds more than MaxBatch entries.
var ErrBatch = errors.New("batch too large")

// Decode reads a JSON object whose field list holds the entries, e.g.
// {"requests":[…]}. Unknown fields of the object or of an entry are not
// errors; they are reported (top level in unknown, per entry in Entry).
// A list of more than MaxBatch entries is an error wrapping ErrBatch.
func Decode[T any](r io.Reader, list string) (entries []Entry[T], unknown []string, err error) {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&top); err != nil {
		return nil, nil, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("decode: data after the JSON object")
	}
	if top == nil {
		return nil, nil, errors.New("decode: want a JSON object")
	}
	raw, ok := top[list]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil, fmt.Errorf("decode: %q is missing", list)
	}
	for k := range top {
		if k != list {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, unknown, fmt.Errorf("decode: %q: want an array", list)
	}
	if len(items) > MaxBatch {
		return nil, unknown, fmt.Errorf("decode: %q holds %d entries, at most %d per call: %w", list, len(items), MaxBatch, ErrBatch)
	}
	known := fieldNames(reflect.TypeFor[T]())
	entries = make([]Entry[T], len(items))
	for i, it := range items {
		e, err := decodeEntry[T](it, known)
		if err != nil {
			return nil, unknown, fmt.Errorf("decode: %s[%d]: %w", list, i, err)
		}
		entries[i] = e
	}
	return entries, unknown, nil
}

func decodeEntry[T any](raw json.RawMessage, known map[string]bool) (Entry[T], error) {
	e := Entry[T]{Raw: raw}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return e, errors.New("want a JSON object")
	}
	for k, v := range fields {
		if !known[k] {
			e.Unknown = append(e.Unknown, k)
			continue
		}
		// Numbers are read as their digits: some clients send barcodes and ids unquoted.
		if t := bytes.TrimSpace(v); len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) {
			q, _ := json.Marshal(string(t))
			fields[k] = q
		}
	}
	slices.Sort(e.Unknown)
	fixed, _ := json.Marshal(fields)
	if err := json.Unmarshal(fixed, &e.Value); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return e, fmt.Errorf("%q: want a string or null, not %s", ute.Field, ute.Value)
		}
		return e, err
	}
	return e, nil
}

// fieldNames are the JSON names of a struct's fields, embedded structs included.
func fieldNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for f := range t.Fields() {
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for n := range fieldNames(f.Type) {
				names[n] = true
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}
