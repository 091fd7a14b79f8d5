// Package profile is the facility's configuration of one library
// connection (a "profile": one ALMA integration or one ALEPH link), and of
// the facility itself: what it sends, to whom, in which style, and how it
// reads the library's request files.
package profile

import (
	"strings"
	"time"

	"github.com/annexlab/annex/internal/httpserve"
	"github.com/annexlab/annex/ncip"
)

// Systems a profile can connect to.
const (
	SystemALMA  = "alma"
	SystemALEPH = "aleph"
)

// Request-file formats the facility can register (docs/libraries.md).
const (
	FormatRSExport   = "alma-rsexport" // ALMA's remote-storage export XML
	FormatALEPHPrint = "aleph-print"   // ALEPH hold-request slips, print XML
	FormatALEPHText  = "aleph-text"    // a site-specific text layout described by TextLayout
)

// Profile is one library connection. One YAML file holds one profile.
type Profile struct {
	// Name identifies the profile in logs, alerts and the API; unique in a facility.
	Name string `yaml:"name" json:"name"`
	// System is SystemALMA or SystemALEPH.
	System string `yaml:"system" json:"system"`
	// ALMA is set when System is alma.
	ALMA *ALMA `yaml:"alma,omitempty" json:"alma,omitempty"`
	// ALEPH is set when System is aleph.
	ALEPH *ALEPH `yaml:"aleph,omitempty" json:"aleph,omitempty"`
	// Translation maps the library's codes to the facility's.
	Translation Translation `yaml:"translation" json:"translation"`
	// Intake says how request files arrive and how they are read.
	Intake Intake `yaml:"intake" json:"intake"`
	// Style is how this facility writes NCIP to this library (docs/libraries.md, NCIP style).
	Style Style `yaml:"style" json:"style"`
	// Retry is the outbox's delivery policy for this profile's messages.
	Retry Retry `yaml:"retry" json:"retry"`
	// ReportAccessions says whether an accession (an item coming to rest in
	// storage for the first time) is reported to the library with
	// CheckInItem, as Ex Libris' remote-storage profile describes; nil means
	// true. See Profile.ReportsAccessions.
	ReportAccessions *bool `yaml:"report_accessions,omitempty" json:"report_accessions,omitempty"`
	// Alerts says who hears of this profile's alerts, and how (issue 15).
	Alerts Alerts `yaml:"alerts,omitempty" json:"alerts,omitempty"`

	// File is the file the profile was loaded from (not in YAML).
	File string `yaml:"-" json:"file,omitempty"`
	// places are where its fields are written in File; nil for a
	// profile not read from a file.
	places *places
}

// ALMA is an ALMA connection, in CaiaSoft's terms (docs/libraries.md, ALMA).
type ALMA struct {
	// NCIPURL is the ALMA NCIP URL, e.g. https://<inst>.alma.exlibrisgroup.com/view/NCIPServlet.
	NCIPURL string `yaml:"ncip_url" json:"ncip_url"`
	// FromAgency is the facility's Agency ID (FromAgencyId).
	FromAgency string `yaml:"from_agency" json:"from_agency"`
	// ToAgency is the ALMA institution code (ToAgencyId).
	ToAgency string `yaml:"to_agency" json:"to_agency"`
	// ProfileCode is the integration profile code, sent as ApplicationProfileType; ALMA matches it case-sensitively.
	ProfileCode string `yaml:"profile_code" json:"profile_code"`
	// ProfileCodeExact states that profile_code was copied from ALMA exactly,
	// case included, so annex validate does not warn about a code that is
	// not all upper case.
	ProfileCodeExact bool `yaml:"profile_code_exact,omitempty" json:"profile_code_exact,omitempty"`
	// Desk is the circulation desk for the annex, sent in OnBehalfOfAgency
	// ("DESK" or "LIBRARY.DESK"); Desks overrides it per ALMA library.
	Desk  string            `yaml:"desk,omitempty" json:"desk,omitempty"`
	Desks map[string]string `yaml:"desks,omitempty" json:"desks,omitempty"`
	// CheckOutUser is the UserId of CheckOutItem (NCIP 2 requires one; the value is assumed, docs/libraries.md, ALMA).
	CheckOutUser string `yaml:"checkout_user" json:"checkout_user"`
	// CancelRequestType is the RequestType of CancelRequestItem; "" means "Hold" (assumed).
	CancelRequestType string `yaml:"cancel_request_type,omitempty" json:"cancel_request_type,omitempty"`
	// ERetrievalNCIP says whether an e-retrieval (a digitization request:
	// the item is pulled, scanned and refiled) is reported to ALMA with
	// CheckOutItem and CheckInItem like a physical retrieval. The public
	// record is silent, so the default (false: no NCIP) is assumed and
	// annex validate says so until the profile states it.
	ERetrievalNCIP bool `yaml:"e_retrieval_ncip,omitempty" json:"e_retrieval_ncip,omitempty"`
	// LookupItem says whether ALMA answers NCIP LookupItem, so that after an
	// ambiguous failure the outbox asks before resending; nil means true
	// (assumed). See Profile.Lookups.
	LookupItem *bool `yaml:"lookup_item,omitempty" json:"lookup_item,omitempty"`
}

// ALEPH is an ALEPH connection, in CaiaSoft's terms (docs/libraries.md, ALEPH).
type ALEPH struct {
	// NCIPURL is the ALEPH NCIP server over HTTP (…/ncip); NCIPAddr a raw NCIP port (host:port). One of them.
	NCIPURL  string `yaml:"ncip_url,omitempty" json:"ncip_url,omitempty"`
	NCIPAddr string `yaml:"ncip_addr,omitempty" json:"ncip_addr,omitempty"`
	// FromAgency is CAIAAGENCY (Check Out and Check In).
	FromAgency string `yaml:"from_agency" json:"from_agency"`
	// ToAgency is CLIENTAGENCY (both).
	ToAgency string `yaml:"to_agency" json:"to_agency"`
	// ApplicationProfileType is CAIAPROFILE (Check In only).
	ApplicationProfileType string `yaml:"application_profile_type" json:"application_profile_type"`
	// Users maps a circulation stop to its CAIAUSER (Check Out only).
	Users map[string]string `yaml:"users" json:"users"`
	// LookupItem: as ALMA.LookupItem, for the ALEPH NCIP server.
	LookupItem *bool `yaml:"lookup_item,omitempty" json:"lookup_item,omitempty"`
}

// Translation tables (docs/libraries.md, ALMA). Keys are the library's codes.
type Translation struct {
	// Collections maps the request's item home to a facility collection:
	// an ALMA library/location ("MAIN/STORAGE"), a location alone
	// ("STORAGE"), or a library ("MAIN"), tried in that order; for ALEPH a
	// sublibrary. Digitization requests carry no library, so the location
	// keys are what finds them.
	Collections map[string]string `yaml:"collections" json:"collections"`
	// Materials maps a material type to a facility material.
	Materials map[string]string `yaml:"materials,omitempty" json:"materials,omitempty"`
	// Stops maps the request's pickup to a circulation stop; see Stops.
	Stops Stops `yaml:"stops" json:"stops"`
}

// CollectionKey reads a translation.collections key as library and
// location: "LIB/LOC" is both; a bare key is a location when some
// LIB/LOC key names that location (ALMA's digitization requests carry only
// a location), otherwise a library (or an ALEPH sublibrary).
func (t *Translation) CollectionKey(key string) (library, location string) {
	if lib, loc, ok := strings.Cut(key, "/"); ok {
		return lib, loc
	}
	for k := range t.Collections {
		if _, loc, ok := strings.Cut(k, "/"); ok && loc == key {
			return "", key
		}
	}
	return key, ""
}

// Stops are the circulation-stop tables, keyed as CaiaSoft keys them by
// what the library's file carries. A request's stop is found in this
// order: Desks (ALMA's pickup/desk, a desk name), PickupLocations (ALEPH's
// pickup location, or the pickupLocation code of annex's legacy export),
// PickupLibraries (ALMA's pickup/library: a library name, or
// PERSONAL_DELIVERY), Libraries (ALMA's libraryCode, ALEPH's sublibrary
// code), Institutions (the institution code).
type Stops struct {
	Desks           map[string]string `yaml:"desks,omitempty" json:"desks,omitempty"`
	PickupLocations map[string]string `yaml:"pickup_locations,omitempty" json:"pickup_locations,omitempty"`
	PickupLibraries map[string]string `yaml:"pickup_libraries,omitempty" json:"pickup_libraries,omitempty"`
	Libraries       map[string]string `yaml:"libraries,omitempty" json:"libraries,omitempty"`
	Institutions    map[string]string `yaml:"institutions,omitempty" json:"institutions,omitempty"`
}

// StopTable is one circulation-stop table and the request value it is keyed by.
type StopTable struct {
	// Name is the table's YAML key under translation.stops.
	Name  string
	Table map[string]string
}

// Tables lists the stop tables in the order a request's stop is looked up.
func (s *Stops) Tables() []StopTable {
	return []StopTable{{"desks", s.Desks}, {"pickup_locations", s.PickupLocations}, {"pickup_libraries", s.PickupLibraries},
		{"libraries", s.Libraries}, {"institutions", s.Institutions}}
}

// Intake is how the library's request files reach the facility.
type Intake struct {
	// Format is the registered request-file format (Format* constants).
	Format string `yaml:"format" json:"format"`
	// TextLayout describes an aleph-text file.
	TextLayout *TextLayout `yaml:"text_layout,omitempty" json:"text_layout,omitempty"`
	// SFTP is the account the library uploads with (ALMA).
	SFTP *SFTPIntake `yaml:"sftp,omitempty" json:"sftp,omitempty"`
	// APIKey authenticates the library's REST posts (ALEPH) in X-API-Key.
	APIKey string `yaml:"api_key,omitempty" json:"-"`
	// MaxFileSize caps one request file in bytes; 0 means 256 MiB (a 100,000-request ALMA export is about 94 MB).
	MaxFileSize int64 `yaml:"max_file_size,omitempty" json:"max_file_size,omitempty"`
}

// SFTPIntake is an SFTP account on the facility's server.
type SFTPIntake struct {
	Account         string   `yaml:"account" json:"account"`
	Password        string   `yaml:"password,omitempty" json:"-"`
	AuthorizedKeys  []string `yaml:"authorized_keys,omitempty" json:"authorized_keys,omitempty"`
	AllowedNetworks []string `yaml:"allowed_networks" json:"allowed_networks"`
	// Directory is where the library's job writes, inside the account, e.g. 01PRI_INST/requests.
	Directory string `yaml:"directory" json:"directory"`
}

// TextLayout describes a delimited or fixed-width text request file (assumed
// layouts, docs/libraries.md, ALEPH): either Delimiter with Columns in order, or Columns
// with Start/Width.
type TextLayout struct {
	// Delimiter separates fields ("|", "\t", ","); "" means fixed-width.
	Delimiter string `yaml:"delimiter,omitempty" json:"delimiter,omitempty"`
	// HeaderLines are skipped at the top of the file.
	HeaderLines int `yaml:"header_lines,omitempty" json:"header_lines,omitempty"`
	// Encoding is "UTF-8" (default) or "ISO-8859-1".
	Encoding string       `yaml:"encoding,omitempty" json:"encoding,omitempty"`
	Columns  []TextColumn `yaml:"columns" json:"columns"`
}

// TextColumn is one field of a text layout. Field is a requestfile field
// name (request_id, barcode, pickup, sublibrary, patron_id, patron_name,
// title, author, call_number, description, request_date, type, note).
type TextColumn struct {
	Field string `yaml:"field" json:"field"`
	// Start (1-based) and Width locate the field in a fixed-width line.
	Start int `yaml:"start,omitempty" json:"start,omitempty"`
	Width int `yaml:"width,omitempty" json:"width,omitempty"`
}

// Style is the NCIP message style of a profile, as YAML. See ncip.Style.
type Style struct {
	Prefix             string            `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	DefaultNamespace   bool              `yaml:"default_namespace,omitempty" json:"default_namespace,omitempty"`
	NoNamespace        bool              `yaml:"no_namespace,omitempty" json:"no_namespace,omitempty"`
	UnqualifiedVersion bool              `yaml:"unqualified_version,omitempty" json:"unqualified_version,omitempty"`
	OmitDeclaration    bool              `yaml:"omit_declaration,omitempty" json:"omit_declaration,omitempty"`
	Standalone         bool              `yaml:"standalone,omitempty" json:"standalone,omitempty"`
	Indent             string            `yaml:"indent,omitempty" json:"indent,omitempty"`
	Version            string            `yaml:"version,omitempty" json:"version,omitempty"`
	OmitDocType        bool              `yaml:"omit_doctype,omitempty" json:"omit_doctype,omitempty"`
	DocTypePublicID    string            `yaml:"doctype_public_id,omitempty" json:"doctype_public_id,omitempty"`
	DocTypeSystemID    string            `yaml:"doctype_system_id,omitempty" json:"doctype_system_id,omitempty"`
	SchemeDefaults     map[string]string `yaml:"scheme_defaults,omitempty" json:"scheme_defaults,omitempty"`
}

// NCIP returns the ncip.Style the encoder uses.
func (s Style) NCIP() ncip.Style {
	return ncip.Style{
		Prefix: s.Prefix, DefaultNamespace: s.DefaultNamespace, NoNamespace: s.NoNamespace,
		UnqualifiedVersion: s.UnqualifiedVersion, OmitDeclaration: s.OmitDeclaration, Standalone: s.Standalone,
		Indent: s.Indent, Version: s.Version, V1Version: s.Version,
		DocType:        ncip.DocType{Omit: s.OmitDocType, PublicID: s.DocTypePublicID, SystemID: s.DocTypeSystemID},
		SchemeDefaults: s.SchemeDefaults,
	}
}

// Retry is the delivery policy of the outbox.
type Retry struct {
	// Initial is the first backoff (default 500ms); it doubles up to Max (default 1m), with jitter.
	Initial Duration `yaml:"initial,omitempty" json:"initial,omitempty"`
	Max     Duration `yaml:"max,omitempty" json:"max,omitempty"`
	// Timeout bounds one attempt (default 10s).
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Concurrency is how many messages are in flight to this endpoint at once (default 4).
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
}

// Duration is a time.Duration written "500ms" in YAML.
type Duration time.Duration

// UnmarshalText reads "500ms".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes "500ms".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Facility is the engine's own configuration: where it listens, what it
// knows, and which profiles it serves. `annex up --config FILE` reads one.
type Facility struct {
	// Name is the facility's name in logs.
	Name string `yaml:"name" json:"name"`
	// Listen is the engine's REST API address (default 127.0.0.1:7700).
	Listen string `yaml:"listen,omitempty" json:"listen,omitempty"`
	// APIKey authenticates the facility-floor operations under /api.
	APIKey string `yaml:"api_key" json:"-"`
	// Stops are the facility's circulation stops.
	Stops []Stop `yaml:"stops" json:"stops"`
	// Profiles are the profile files, relative to the facility file; Inline profiles may be given instead.
	Profiles []string  `yaml:"profiles,omitempty" json:"profiles,omitempty"`
	Inline   []Profile `yaml:"inline_profiles,omitempty" json:"inline_profiles,omitempty"`
	// Inventory is the items in storage at first start.
	Inventory []InventoryItem `yaml:"inventory,omitempty" json:"inventory,omitempty"`
	// SFTPLoginBackoff slows down repeated SFTP password failures; zero fields take the defaults.
	SFTPLoginBackoff SFTPLoginBackoff `yaml:"sftp_login_backoff,omitempty" json:"sftp_login_backoff,omitempty"`
	// HTTPTimeouts bound the REST API listener's reads, writes and idle
	// connections; zero fields take httpserve's defaults.
	HTTPTimeouts httpserve.Timeouts `yaml:"http_timeouts,omitempty" json:"http_timeouts,omitempty"`
	// SMTP is the mail server alert emails leave through; required when a
	// profile has alerts.email.
	SMTP *SMTP `yaml:"smtp,omitempty" json:"smtp,omitempty"`

	File string `yaml:"-" json:"file,omitempty"`
}

// SFTPLoginBackoff is the SFTP server's answer to password guessing,
// counted per account and per source address: after After failures, even
// the right password is refused unchecked until the backoff has passed.
type SFTPLoginBackoff struct {
	// After is how many failed passwords an account or a source may have before backoff starts (default 5; negative disables).
	After int `yaml:"after,omitempty" json:"after,omitempty"`
	// Delay is the first backoff, doubled by each further failure (default 1s).
	Delay Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	// Max caps the backoff (default 1m).
	Max Duration `yaml:"max,omitempty" json:"max,omitempty"`
	// Forget is how long a failure is remembered (default 15m).
	Forget Duration `yaml:"forget,omitempty" json:"forget,omitempty"`
	// ReplyDelay holds back a refusal while backing off, on its own connection only (default 1s; negative: none).
	ReplyDelay Duration `yaml:"reply_delay,omitempty" json:"reply_delay,omitempty"`
}

// Stop is a circulation stop: where retrieved items are delivered.
type Stop struct {
	Code   string `yaml:"code" json:"code"`
	Name   string `yaml:"name,omitempty" json:"name,omitempty"`
	Active bool   `yaml:"active" json:"active"`
}

// InventoryItem is an item in storage.
type InventoryItem struct {
	Barcode    string `yaml:"barcode" json:"barcode"`
	Collection string `yaml:"collection" json:"collection"`
	Material   string `yaml:"material,omitempty" json:"material,omitempty"`
	Tray       string `yaml:"tray,omitempty" json:"tray,omitempty"`
	// Profile is the library connection that owns the item.
	Profile string `yaml:"profile" json:"profile"`
	// The item's bibliographic data, as its accession recorded it: what the
	// item and search endpoints answer with.
	Title      string `yaml:"title,omitempty" json:"title,omitempty"`
	Author     string `yaml:"author,omitempty" json:"author,omitempty"`
	Volume     string `yaml:"volume,omitempty" json:"volume,omitempty"`
	CallNumber string `yaml:"call_number,omitempty" json:"call_number,omitempty"`
	ISBN       string `yaml:"isbn,omitempty" json:"isbn,omitempty"`
	ISSN       string `yaml:"issn,omitempty" json:"issn,omitempty"`
	LCCN       string `yaml:"lccn,omitempty" json:"lccn,omitempty"`
	OCLC       string `yaml:"oclc,omitempty" json:"oclc,omitempty"`
}

// ReportsAccessions reports whether accessions are reported to the library
// with CheckInItem (report_accessions, default true).
func (p *Profile) ReportsAccessions() bool { return p.ReportAccessions == nil || *p.ReportAccessions }
