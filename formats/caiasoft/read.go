package caiasoft

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The read side's shapes (docs/libraries.md, "REST API"): item, itemloc, itemsbybarcode,
// itemloclist, the date-range lists, bibmissing(_bydate), the union_*
// searches, circstoplist and circstopout. Paths, body fields and reply
// keys are those public clients use (kstatelibraries/caiasoft-sdk-python's
// caiasoft/base.py; IU's CaiaSoft itemloc helper for itemloc's keys);
// where the public record is silent (noted per field) the shape is
// assumed.

// Item is one item of item/v1, itemsbybarcode/v1, accessioninfo,
// deaccessioninfo, retrievalinfo and the union_* searches. A field the
// facility keeps no value for is "".
type Item struct {
	Barcode string `json:"barcode"`
	Status  string `json:"status"`
	Bib
	Collection string `json:"collection"`
	Material   string `json:"material"`
	// Container is the tray the item is shelved in.
	Container string `json:"container"`
	// AccessionDate is YYYY-MM-DD, "" before the item's accession (assumed format).
	AccessionDate string `json:"accession_date"`
	// LastStatusUpdate is an RFC 3339 stamp (assumed format).
	LastStatusUpdate string `json:"last_status_update"`
	// Request is the item's latest request, null when it has none. Not in
	// CaiaSoft's public record: annex shows what the library sent (issue 10).
	Request *ItemRequest `json:"request"`
}

// ItemRequest is the latest request for an item, as the library sent it.
type ItemRequest struct {
	RequestID string `json:"request_id"`
	// RequestType is the facility job: PYR, ERT, DEA or SHP.
	RequestType string `json:"request_type"`
	// Type is the library's own request type (PATRON_PHYSICAL, hold, …).
	Type          string `json:"type"`
	Status        string `json:"status"`
	Reason        string `json:"reason"`
	Stop          string `json:"stop"`
	Pickup        string `json:"pickup"`
	PickupLibrary string `json:"pickup_library"`
	PickupDesk    string `json:"pickup_desk"`
	PatronID      string `json:"patron_id"`
	Title         string `json:"title"`
	Author        string `json:"author"`
	CallNumber    string `json:"call_number"`
	Description   string `json:"description"`
	// Received is when the facility received the request (RFC 3339).
	Received string `json:"received"`
}

// ItemLoc is one item of itemloc/v1 and itemloclist/v1. The two keys with
// spaces are CaiaSoft's own spelling. annex keeps one shelf position per
// item, its tray: it answers container and location with it; address,
// footprint and container_type are "".
type ItemLoc struct {
	Barcode          string `json:"barcode"`
	Status           string `json:"status"`
	Container        string `json:"container"`
	Address          string `json:"address"`
	Location         string `json:"location"`
	Footprint        string `json:"footprint"`
	ContainerType    string `json:"container_type"`
	Collection       string `json:"collection"`
	Material         string `json:"material"`
	AccessionDate    string `json:"accession date"`
	LastStatusUpdate string `json:"last status update"`
}

// Unlisted is what item, itemloc and their batch forms answer for a barcode
// the caller may not see: Status is StatusNotFound for a barcode the
// facility does not hold, StatusRestrictedFromKey for another library's item.
type Unlisted struct {
	Barcode string `json:"barcode"`
	Status  string `json:"status"`
}

// StopEntry is one circulation stop of circstoplist/v1 (entry fields assumed).
type StopEntry struct {
	Code   string `json:"stop_code"`
	Name   string `json:"stop_name"`
	Active string `json:"active"`
}

// ItemOut is one item of circstopout/v1: out of the facility for a request
// delivered to a circulation stop.
type ItemOut struct {
	Barcode    string `json:"barcode"`
	Status     string `json:"status"`
	Title      string `json:"title"`
	Author     string `json:"author"`
	Volume     string `json:"volume"`
	CallNumber string `json:"call_number"`
	Collection string `json:"collection"`
	RequestID  string `json:"request_id"`
	// Retrieved is YYYY-MM-DD, the facility's day of the retrieval (assumed format).
	Retrieved string `json:"retrieved"`
	// CirculationStop is "CODE - Description", as clients split it.
	CirculationStop string `json:"circulation_stop"`
}

// CirculationStop formats a stop as circstopout names it. A stop without a
// name is described by its code.
func CirculationStop(code, name string) string {
	if name == "" {
		name = code
	}
	return code + " - " + name
}

// Bibliographic fields bibmissing asks about (the path's last part).
const (
	BibNone       = "none"
	BibTitle      = "title"
	BibAuthor     = "author"
	BibCallNumber = "callnumber"
	BibItemID     = "itemid"
	BibAll        = "all"
)

// BibFields lists bibmissing's fields in the order an error names them.
var BibFields = []string{BibNone, BibTitle, BibAuthor, BibCallNumber, BibItemID, BibAll}

// CollectionAll is the collection parameter that means every collection.
const CollectionAll = "ALL"

// DateLayout is the layout of the date-range lists' dates (YYYYMMDD).
const DateLayout = "20060102"

// DateList is one of CaiaSoft's date-range lists:
// GET /api/<Name>/v1/{from}/{to}/{collection}[/{Y|N}].
type DateList struct {
	Name string
	// Events are the item events the list reads (item_events kinds).
	Events []string
	// Active leaves out items deaccessioned since.
	Active bool
	// Info answers items (count, items) instead of barcodes (count, barcodes).
	Info bool
	// Reaccession takes a last path part Y|N: include items accessioned
	// again since (default N: only items still deaccessioned).
	Reaccession bool
}

// The events of the date-range lists. A retrieval is any pull from the
// shelf: out on physical retrieval, pulled for e-retrieval, out on SH-I-P
// service (assumed: CaiaSoft's public record does not say which jobs its
// retrieved list counts).
var (
	accessionEvents   = []string{EventAccession}
	deaccessionEvents = []string{EventDeaccession}
	refileEvents      = []string{EventRefile}
	retrievalEvents   = []string{EventRetrieval, EventERetrieval, EventSHPOut}
)

// DateLists are the date-range lists, in the order the API documents them.
var DateLists = []DateList{
	{Name: "accessionedlist", Events: accessionEvents},
	{Name: "accessioned_active", Events: accessionEvents, Active: true},
	{Name: "accessioninfo", Events: accessionEvents, Info: true},
	{Name: "accessioninfo_active", Events: accessionEvents, Active: true, Info: true},
	{Name: "deaccessionedlist", Events: deaccessionEvents, Reaccession: true},
	{Name: "deaccessioninfo", Events: deaccessionEvents, Info: true, Reaccession: true},
	{Name: "refiledlist", Events: refileEvents},
	{Name: "retrievedlist", Events: retrievalEvents},
	{Name: "retrievalinfo", Events: retrievalEvents, Info: true},
}

// Search is one of the union_* searches: POST /api/<Endpoint>/v1 with
// {"<Key>": "…"} (union_title also takes "volume"; every search takes an
// optional "collection").
type Search struct {
	Endpoint string
	// Key is the body's field holding the value searched for.
	Key string
	// Field is the item field searched (the store's column).
	Field string
	Match Match
}

// Match is how a search value matches a field.
type Match int

// Matches: title and author contain the value (any case), a call number
// starts with it (any case), ISBN, ISSN and LCCN equal it, an OCLC number
// equals it once leading zeros and an ocm/ocn/on/(OCoLC) prefix are
// dropped from both (CaiaSoft left-pads OCLC numbers with zeros).
const (
	Contains Match = iota
	Prefix
	Exact
	OCLCNumber
)

// Searches are the union_* searches.
var Searches = []Search{
	{"union_title", "title", "title", Contains},
	{"union_author", "author", "author", Contains},
	{"union_callnumber", "callnumber", "call_number", Prefix},
	{"union_isbn", "isbn", "isbn", Exact},
	{"union_issn", "issn", "issn", Exact},
	{"union_lccn", "lccn", "lccn", Exact},
	{"union_oclc", "oclc", "oclc", OCLCNumber},
}

// SearchQuery is a union_* search's body: the value, and the optional
// volume (union_title: the volume contains it) and collection.
type SearchQuery struct {
	Value, Volume, Collection string
}

// DecodeSearch reads a union_* search body, e.g. {"title":"…","volume":null}.
// Values may be strings or numbers (an OCLC number or an ISBN sent
// unquoted) or null; other fields are ignored. The value is required.
func DecodeSearch(r io.Reader, s Search) (SearchQuery, error) {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&top); err != nil {
		return SearchQuery{}, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return SearchQuery{}, errors.New("decode: data after the JSON object")
	}
	field := func(name string) (string, error) {
		raw := bytes.TrimSpace(top[name])
		var v string
		switch {
		case len(raw) == 0 || string(raw) == "null":
			return "", nil
		case raw[0] == '"':
			if err := json.Unmarshal(raw, &v); err != nil {
				return "", fmt.Errorf("decode: %q: %w", name, err)
			}
		case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				return "", fmt.Errorf("decode: %q: %w", name, err)
			}
			v = n.String()
		default:
			return "", fmt.Errorf("decode: %q: want a string, not %s", name, raw)
		}
		return strings.TrimSpace(v), nil
	}
	var q SearchQuery
	var err error
	if q.Value, err = field(s.Key); err != nil {
		return q, err
	}
	if q.Value == "" {
		return q, fmt.Errorf("decode: %q is missing or blank: want {%q:\"…\"}", s.Key, s.Key)
	}
	if s.Endpoint == "union_title" {
		if q.Volume, err = field("volume"); err != nil {
			return q, err
		}
	}
	if q.Collection, err = field("collection"); err != nil {
		return q, err
	}
	return q, nil
}

// MaxSearch caps a union_* search's items, the first that entered the
// inventory (assumed: CaiaSoft's cap is not public).
const MaxSearch = 1000

// DecodeBarcodes reads a batch body {"<key>":[…]}: barcodes as strings or
// as numbers (some clients send numeric barcodes unquoted); null entries
// are skipped, as are unknown fields. At most MaxBatch barcodes.
func DecodeBarcodes(r io.Reader, key string) ([]string, error) {
	var body map[string]json.RawMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("decode body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode body: data after the JSON object")
	}
	raw, found := body[key]
	if !found || string(raw) == "null" {
		return nil, fmt.Errorf("decode body: %q is missing: want {%q:[barcode, …]}", key, key)
	}
	var vals []json.RawMessage
	if err := json.Unmarshal(raw, &vals); err != nil {
		return nil, fmt.Errorf("decode body: %q: want an array of barcodes", key)
	}
	if len(vals) > MaxBatch {
		return nil, fmt.Errorf("decode body: %q lists %d barcodes, at most %d per call: %w", key, len(vals), MaxBatch, ErrBatch)
	}
	out := make([]string, 0, len(vals))
	for i, v := range vals {
		var sv string
		switch {
		case string(v) == "null":
			continue
		case json.Unmarshal(v, &sv) == nil:
		default:
			var n json.Number
			d := json.NewDecoder(bytes.NewReader(v))
			d.UseNumber()
			if err := d.Decode(&n); err != nil || strings.ContainsAny(n.String(), ".eE-+") {
				return nil, fmt.Errorf("decode body: %s[%d] is %s: want a barcode (a string or a whole number)", key, i, v)
			}
			sv = n.String()
		}
		if sv = strings.TrimSpace(sv); sv != "" {
			out = append(out, sv)
		}
	}
	return out, nil
}
