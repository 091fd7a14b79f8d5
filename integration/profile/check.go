package profile

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/internal/strict"
	"github.com/annexlab/annex/ncip"
)

// checker reports problems in one file, locating each by its YAML path.
type checker struct {
	file string
	loc  *strict.Places
	// prefix is where the checked value sits in the file: "" for a profile
	// file, "inline_profiles[2]" for a profile written inside a facility file.
	prefix string
	probs  *Problems
	// failed are the paths the decoder could not read; checks skip them.
	failed map[string]bool
}

// places are a decoded profile's positions, kept for messages made after
// loading (the conformance suite's "set alma.to_agency" points at it).
type places struct {
	file   string
	loc    *strict.Places
	prefix string
}

func (c checker) places() *places { return &places{file: c.file, loc: c.loc, prefix: c.prefix} }

// Where returns FILE:LINE:COL of field in the profile's file (a path as
// Problem.Field names it, e.g. alma.desks.MAIN): its value, or its key for
// a section, or where it would go when absent; "" for a profile not read
// from a file.
func (p Profile) Where(field string) string {
	if p.places == nil {
		return ""
	}
	at := p.places.loc.Value(checker{prefix: p.places.prefix}.full(field))
	return fmt.Sprintf("%s:%d:%d", p.places.file, at.Line, at.Col)
}

func (c checker) full(field string) string {
	switch {
	case c.prefix == "":
		return field
	case field == "":
		return c.prefix
	}
	return c.prefix + "." + field
}

func (c checker) add(severity, field, format string, args ...any) {
	c.addAt(false, severity, field, format, args...)
}

// addAt adds a problem at field's value or, with atKey, at its key (for
// problems with a map key such as a stop code in aleph.users).
func (c checker) addAt(atKey bool, severity, field, format string, args ...any) {
	full := c.full(field)
	for f := full; f != ""; f = strict.ParentPath(f) {
		if c.failed[f] {
			return
		}
	}
	p := c.loc.Value(full)
	if atKey {
		p = c.loc.Section(full)
	}
	*c.probs = append(*c.probs, Problem{File: c.file, Line: p.Line, Column: p.Col, Field: full,
		Severity: severity, Message: fmt.Sprintf(format, args...)})
}

func (c checker) errorf(field, format string, args ...any) {
	c.add(SeverityError, field, format, args...)
}

func (c checker) warnf(field, format string, args ...any) {
	c.add(SeverityWarning, field, format, args...)
}

// written reports whether field was written in the file (even if empty).
func (c checker) written(field string) bool {
	return c.loc.Written(c.full(field))
}

// required reports an empty value; codes sent verbatim to a library must
// also not carry stray spaces, which nobody sees in a settings screen.
func (c checker) required(field, value, what string) bool {
	if strings.TrimSpace(value) == "" {
		c.errorf(field, "is required: %s", what)
		return false
	}
	if strings.TrimSpace(value) != value {
		c.errorf(field, "%q has leading or trailing spaces; the library compares it exactly", value)
		return false
	}
	return true
}

// checkProfile makes every check of one profile that needs nothing else.
func (c checker) checkProfile(p *Profile) {
	c.required("name", p.Name, "give the profile a short name (used in logs, alerts and the API), e.g. alma-main")
	switch p.System {
	case SystemALMA, SystemALEPH:
	case "":
		c.errorf("system", "is required: alma (NCIP 2) or aleph (NCIP 1)")
	default:
		c.errorf("system", "must be alma or aleph (lower case), not %q", p.System)
	}
	switch {
	case p.System == SystemALMA && p.ALMA == nil:
		c.errorf("alma", "is required: system is alma, so the profile needs an alma: section with the ALMA connection")
	case p.System == SystemALEPH && p.ALEPH == nil:
		c.errorf("aleph", "is required: system is aleph, so the profile needs an aleph: section with the ALEPH connection")
	}
	if p.System == SystemALMA && p.ALEPH != nil {
		c.errorf("aleph", "an alma profile must not have an aleph: section; remove it or set system: aleph")
	}
	if p.System == SystemALEPH && p.ALMA != nil {
		c.errorf("alma", "an aleph profile must not have an alma: section; remove it or set system: alma")
	}
	if p.ALMA != nil {
		c.checkALMA(p.ALMA, &p.Translation)
	}
	if p.ALEPH != nil {
		c.checkALEPH(p.ALEPH)
	}
	c.checkTranslation(p)
	c.checkIntake(p)
	c.checkStyle(p)
	c.checkRetry(&p.Retry)
	c.checkAlerts(&p.Alerts)
}

// almaInstitution is the shape of ALMA institution codes (01PRI_INST).
var almaInstitution = regexp.MustCompile(`^\d{2}[A-Z0-9_]+_INST$`)

// desk is "DESK" or "LIBRARY.DESK" (docs/libraries.md, ALMA).
var desk = regexp.MustCompile(`^[^.\s]+(\.[^.\s]+)?$`)

// requestTypes are the values of the NCIP RequestType scheme (requesttype.scm).
func requestTypes() []string { return []string{"Estimate", "Hold", "Loan", "Stack Retrieval"} }

func (c checker) checkALMA(a *ALMA, t *Translation) {
	if c.checkURL("alma.ncip_url", a.NCIPURL, "the ALMA NCIP URL, e.g. https://<inst>.alma.exlibrisgroup.com/view/NCIPServlet") &&
		!strings.HasSuffix(strings.TrimRight(a.NCIPURL, "/"), "/view/NCIPServlet") {
		c.warnf("alma.ncip_url", "does not end in /view/NCIPServlet; ALMA's NCIP endpoint is https://<inst>.alma.exlibrisgroup.com/view/NCIPServlet")
	}
	c.required("alma.from_agency", a.FromAgency, "the facility's Agency ID as created in ALMA (sent as FromAgencyId; public clients put the institution code here)")
	if c.required("alma.to_agency", a.ToAgency, "the ALMA institution code, e.g. 01PRI_INST (sent as ToAgencyId)") &&
		!almaInstitution.MatchString(a.ToAgency) {
		c.warnf("alma.to_agency", "%q does not look like an ALMA institution code such as 01PRI_INST; ToAgencyId is normally the institution code", a.ToAgency)
	}
	if c.required("alma.profile_code", a.ProfileCode, "the code of the remote-storage integration profile in ALMA (sent as ApplicationProfileType)") &&
		a.ProfileCode != strings.ToUpper(a.ProfileCode) && !a.ProfileCodeExact {
		c.warnf("alma.profile_code", "%q is not all upper case; ALMA matches integration profile codes case-sensitively; make sure it is exactly the code in ALMA, then say so with profile_code_exact: true", a.ProfileCode)
	}
	if a.Desk == "" && len(a.Desks) == 0 && !c.failed[c.full("alma.desks")] {
		c.errorf("alma.desk", "is required: the circulation desk for the annex (DESK or LIBRARY.DESK), or desks: with one desk per ALMA library")
	}
	if a.Desk != "" {
		c.checkDesk("alma.desk", a.Desk)
	}
	for _, lib := range sortedKeys(a.Desks) {
		field := strict.JoinKey("alma.desks", lib)
		if strings.TrimSpace(lib) == "" {
			c.errorf(field, "an ALMA library code is required as the key")
			continue
		}
		c.checkDesk(field, a.Desks[lib])
		if len(t.Collections) > 0 && !translatesLibrary(t.Collections, lib) {
			c.warnf(field, "library %s has a desk but no translation.collections entry, so no request from it is accepted", lib)
		}
	}
	c.required("alma.checkout_user", a.CheckOutUser, "NCIP 2 CheckOutItem must carry a UserId; give the ALMA user the facility checks items out to (assumed: the value is site-specific, e.g. a staff user for the annex)")
	if !c.written("alma.e_retrieval_ncip") {
		c.warnf("alma", "e_retrieval_ncip is not set: assumed false, so e-retrievals (digitization requests) send ALMA no CheckOutItem or CheckInItem; whether the facility reports them is not public, so state it (true or false) to silence this")
	}
	if a.CancelRequestType != "" && !slices.Contains(requestTypes(), a.CancelRequestType) {
		c.warnf("alma.cancel_request_type", "%q is not an NCIP RequestType (%s); ALMA may not find the request to cancel", a.CancelRequestType, strings.Join(requestTypes(), ", "))
	}
}

func translatesLibrary(collections map[string]string, lib string) bool {
	for k := range collections {
		if k == lib || strings.HasPrefix(k, lib+"/") {
			return true
		}
	}
	return false
}

func (c checker) checkDesk(field, v string) {
	if c.required(field, v, "the circulation desk code, DESK or LIBRARY.DESK") && !desk.MatchString(v) {
		c.errorf(field, "%q must be DESK or LIBRARY.DESK (at most one dot, no spaces)", v)
	}
}

// checkURL requires an absolute http(s) URL and reports whether it is one.
func (c checker) checkURL(field, v, what string) bool {
	if !c.required(field, v, what) {
		return false
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		c.errorf(field, "%q must be an absolute http:// or https:// URL (%s)", v, what)
		return false
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			c.errorf(field, "%q has port %s; a port is a number from 1 to 65535", v, port)
			return false
		}
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		c.warnf(field, "%q sends NCIP unencrypted over the network; use https:// unless the library's server offers only http", v)
	}
	return true
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func (c checker) checkALEPH(a *ALEPH) {
	switch {
	case a.NCIPURL == "" && a.NCIPAddr == "":
		c.errorf("aleph.ncip_url", "is required: the ALEPH NCIP server, as ncip_url (http://host:8991/ncip, through the ALEPH web server) or ncip_addr (host:port of the NCIP port, e.g. aleph.example.edu:5991)")
	case a.NCIPURL != "" && a.NCIPAddr != "":
		c.errorf("aleph.ncip_addr", "give ncip_url or ncip_addr, not both: the facility talks to one ALEPH NCIP server")
	case a.NCIPURL != "":
		c.checkURL("aleph.ncip_url", a.NCIPURL, "the ALEPH NCIP server over HTTP, e.g. http://aleph.example.edu:8991/ncip")
	default:
		c.checkHostPort("aleph.ncip_addr", a.NCIPAddr, "the ALEPH NCIP port as host:port, e.g. aleph.example.edu:5991", true)
	}
	c.required("aleph.from_agency", a.FromAgency, "the FROM Unique Agency ID (CAIAAGENCY), sent in Check Out and Check In")
	c.required("aleph.to_agency", a.ToAgency, "the TO Unique Agency ID (CLIENTAGENCY), sent in Check Out and Check In")
	c.required("aleph.application_profile_type", a.ApplicationProfileType, "the Application Profile Type (CAIAPROFILE), sent in Check In")
	if len(a.Users) == 0 {
		c.errorf("aleph.users", "is required: at least one circulation stop → ALEPH user id (CAIAUSER); Check Out loans the item to that user")
	}
	for _, stop := range sortedKeys(a.Users) {
		field := strict.JoinKey("aleph.users", stop)
		if strings.TrimSpace(stop) == "" {
			c.errorf(field, "a circulation stop code is required as the key")
			continue
		}
		c.required(field, a.Users[stop], "the ALEPH user id (CAIAUSER) items for stop "+stop+" are checked out to")
	}
}

// checkHostPort requires host:port with a numeric port.
func (c checker) checkHostPort(field, v, what string, needHost bool) bool {
	if !c.required(field, v, what) {
		return false
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		c.errorf(field, "%q must be host:port (%s)", v, what)
		return false
	}
	if needHost && host == "" {
		c.errorf(field, "%q has no host; write host:port (%s)", v, what)
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || (needHost && n == 0) {
		c.errorf(field, "%q has port %q; a port is a number from 1 to 65535", v, port)
		return false
	}
	return true
}

func (c checker) checkTranslation(p *Profile) {
	t := &p.Translation
	if len(t.Collections) == 0 {
		c.errorf("translation.collections", "is required: at least one %s → facility collection; without it no request can be placed", libraryWord(p.System))
	}
	for _, k := range sortedKeys(t.Collections) {
		field := strict.JoinKey("translation.collections", k)
		switch {
		case strings.TrimSpace(k) == "":
			c.errorf(field, "the %s code is empty", libraryWord(p.System))
			continue
		case strings.Count(k, "/") > 1 || strings.HasPrefix(k, "/") || strings.HasSuffix(k, "/"):
			c.errorf(field, "%q must be LIBRARY or LIBRARY/LOCATION", k)
		}
		c.required(field, t.Collections[k], "the facility collection for "+k)
	}
	for _, k := range sortedKeys(t.Materials) {
		c.required(strict.JoinKey("translation.materials", k), t.Materials[k], "the facility material for "+k)
	}
	s := &t.Stops
	n := 0
	for _, table := range s.Tables() {
		n += len(table.Table)
	}
	if n == 0 {
		c.errorf("translation.stops", "is required: at least one of desks, pickup_locations, pickup_libraries, libraries or institutions → facility circulation stop; without it no retrieved item has a destination")
	}
	for _, table := range s.Tables() {
		for _, k := range sortedKeys(table.Table) {
			field := strict.JoinKey("translation.stops."+table.Name, k)
			if strings.TrimSpace(k) == "" {
				c.errorf(field, "the key is empty")
				continue
			}
			c.required(field, table.Table[k], "the facility circulation stop for "+k)
		}
	}
	if p.System == SystemALMA && n > 0 {
		c.checkALMAStopCoverage(s)
	}
}

func libraryWord(system string) string {
	if system == SystemALEPH {
		return "ALEPH sublibrary"
	}
	return "ALMA library (or LIBRARY/LOCATION)"
}

// checkALMAStopCoverage warns when the stop tables can never match what a
// real ALMA export carries (docs/libraries.md, ALMA): digitization requests have a
// pickup desk and an institution-name pickup library but no libraryCode,
// personal-delivery requests have pickup/library PERSONAL_DELIVERY and no
// libraryCode, and institutionCode is often absent.
func (c checker) checkALMAStopCoverage(s *Stops) {
	if len(s.Desks)+len(s.PickupLibraries)+len(s.Institutions) == 0 {
		c.warnf("translation.stops", "only libraries%s are keyed: ALMA's digitization requests (pickup desk, no libraryCode) and personal-delivery requests (pickup library PERSONAL_DELIVERY, no libraryCode) will be denied Invalid Stop Code; add translation.stops.desks (desk names as ALMA writes them, e.g. \"Digitization Department For Institution\") and pickup_libraries (library names and %s)",
			map[bool]string{true: " and pickup_locations", false: ""}[len(s.PickupLocations) > 0], rsexport.PersonalDelivery)
		return
	}
	if len(s.Desks) == 0 && len(s.Institutions) == 0 && s.PickupLibraries != nil {
		c.warnf("translation.stops", "no desks: table: ALMA's digitization requests are found by their pickup desk (or the institution's name in pickup_libraries); without one they are denied Invalid Stop Code")
	}
	if s.PickupLibraries[rsexport.PersonalDelivery] == "" && len(s.Institutions) == 0 {
		c.warnf("translation.stops.pickup_libraries", "has no %s entry: ALMA's personal-delivery requests carry pickup library %s and no libraryCode, so they are denied Invalid Stop Code", rsexport.PersonalDelivery, rsexport.PersonalDelivery)
	}
	if len(s.Institutions) > 0 && len(s.Desks)+len(s.PickupLibraries) == 0 {
		c.warnf("translation.stops.institutions", "ALMA's export often has no institutionCode, so digitization and personal-delivery requests may find no stop; key them by desks and pickup_libraries too")
	}
}

// CanRead tells whether the profile can read a request file of the given
// format (one posted with ?format=, say), and if not, why: the format must
// be one the facility reads, of the profile's library system, and a text
// layout needs the profile's column map.
func (p *Profile) CanRead(format string) error {
	switch {
	case format != FormatRSExport && format != FormatALEPHPrint && format != FormatALEPHText:
		return fmt.Errorf("%q is not a request-file format the facility reads (%s, %s, %s)", format, FormatRSExport, FormatALEPHPrint, FormatALEPHText)
	case p.System == SystemALMA && format != FormatRSExport:
		return fmt.Errorf("profile %s reads ALMA's export files (%s), not %s", p.Name, FormatRSExport, format)
	case p.System == SystemALEPH && format == FormatRSExport:
		return fmt.Errorf("profile %s reads ALEPH request files (%s or %s), not %s", p.Name, FormatALEPHPrint, FormatALEPHText, format)
	case format == FormatALEPHText && p.Intake.TextLayout == nil:
		return fmt.Errorf("profile %s has no text_layout registered, so it cannot read %s files", p.Name, format)
	}
	return nil
}

// maxFileSizeDefault is the request-file cap when max_file_size is 0.
const maxFileSizeDefault = 256 << 20

func (c checker) checkIntake(p *Profile) {
	in := &p.Intake
	formats := []string{FormatRSExport, FormatALEPHPrint, FormatALEPHText}
	switch {
	case in.Format == "":
		c.errorf("intake.format", "is required: %s for ALMA, %s or %s for ALEPH", FormatRSExport, FormatALEPHPrint, FormatALEPHText)
	case !slices.Contains(formats, in.Format):
		c.errorf("intake.format", "%q is not a request-file format the facility reads (%s)", in.Format, strings.Join(formats, ", "))
	case p.System == SystemALMA && in.Format != FormatRSExport:
		c.errorf("intake.format", "an alma profile reads ALMA's export files: format must be %s, not %s", FormatRSExport, in.Format)
	case p.System == SystemALEPH && in.Format == FormatRSExport:
		c.errorf("intake.format", "an aleph profile reads ALEPH request files: format must be %s or %s, not %s", FormatALEPHPrint, FormatALEPHText, in.Format)
	}
	if in.Format == FormatALEPHText {
		if in.TextLayout == nil {
			c.errorf("intake.text_layout", "is required: format is aleph-text, so the columns of the text file must be described")
		} else {
			c.checkTextLayout(in.TextLayout)
		}
	} else if in.TextLayout != nil {
		c.warnf("intake.text_layout", "is used only with format aleph-text, or for a file posted with ?format=aleph-text")
	}
	switch p.System {
	case SystemALMA:
		if in.SFTP == nil {
			c.errorf("intake.sftp", "is required: ALMA uploads its request files by SFTP, so the profile needs the account it logs in with")
		} else {
			c.checkSFTP(in.SFTP)
		}
		if in.APIKey != "" {
			c.warnf("intake.api_key", "ALMA uploads by SFTP, not to the REST API; the key is not used")
		}
	case SystemALEPH:
		if c.required("intake.api_key", in.APIKey, "the key ALEPH sends in X-API-Key when it posts request files") && len(in.APIKey) < 16 {
			c.warnf("intake.api_key", "is shorter than 16 characters; anyone who guesses it can post request files")
		}
		if in.SFTP != nil {
			c.warnf("intake.sftp", "ALEPH posts request files to the REST API, not by SFTP; the account is not used")
		}
	}
	if in.MaxFileSize < 0 {
		c.errorf("intake.max_file_size", "must be 0 (meaning %d MiB) or a positive number of bytes, not %d", maxFileSizeDefault>>20, in.MaxFileSize)
	}
}

// TextFields are the request fields a text layout column can name. A column
// named "-" (or "ignore", "filler") is skipped; mock ALEPH's names
// pickup_location and sub_library are read as pickup and sublibrary.
func TextFields() []string {
	return []string{"request_id", "barcode", "pickup", "sublibrary", "patron_id", "patron_name",
		"title", "author", "call_number", "description", "request_date", "type", "note", "pages"}
}

// CanonicalTextField returns the field a text column's name means ("" for
// an ignored column) and whether the name is known. Names are read without
// regard to case or surrounding spaces.
func CanonicalTextField(name string) (string, bool) {
	f := strings.ToLower(strings.TrimSpace(name))
	switch f {
	case "pickup_location":
		return "pickup", true
	case "sub_library":
		return "sublibrary", true
	case "-", "ignore", "filler":
		return "", true
	}
	return f, slices.Contains(TextFields(), f)
}

func (c checker) checkTextLayout(l *TextLayout) {
	if l.HeaderLines < 0 {
		c.errorf("intake.text_layout.header_lines", "must be 0 or more, not %d", l.HeaderLines)
	}
	switch strings.ToLower(strings.TrimSpace(l.Encoding)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii",
		"iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "ibm819":
	default:
		c.errorf("intake.text_layout.encoding", "%q is not an encoding the facility reads (UTF-8 or ISO-8859-1)", l.Encoding)
	}
	if strings.ContainsAny(l.Delimiter, "\r\n") {
		c.errorf("intake.text_layout.delimiter", "must not contain a line break; each line is one request")
	}
	if len(l.Columns) == 0 {
		c.errorf("intake.text_layout.columns", "is required: the columns of the file, in order, each with a field name")
		return
	}
	known := strings.Join(TextFields(), ", ")
	seen := map[string]int{}
	fixed := l.Delimiter == ""
	// A fixed-width layout gives every column a start, or none: then the
	// columns follow each other from the first character.
	anyStart := slices.ContainsFunc(l.Columns, func(c TextColumn) bool { return c.Start != 0 })
	type span struct{ i, start, end int }
	var spans []span
	next := 1
	for i, col := range l.Columns {
		field := strict.JoinIndex("intake.text_layout.columns", i)
		name, ok := CanonicalTextField(col.Field)
		switch {
		case strings.TrimSpace(col.Field) == "":
			c.errorf(field+".field", "is required: one of %s, or - for a column to skip", known)
		case !ok:
			c.errorf(field+".field", "%q is not a request field; use one of %s, or - for a column to skip", col.Field, known)
		case name != "":
			if first, dup := seen[name]; dup {
				c.errorf(field+".field", "%s is already read by column %d; each field is read once", name, first+1)
			} else {
				seen[name] = i
			}
		}
		if !fixed {
			if col.Start != 0 || col.Width != 0 {
				c.errorf(field, "a delimited layout reads columns in order; start and width are only for fixed-width layouts (no delimiter)")
			}
			continue
		}
		start := next
		if anyStart {
			start = col.Start
			if col.Start < 1 {
				c.errorf(field+".start", "must be 1 or more (the first character of a line is 1): when one column has a start, every column needs one")
				continue
			}
		}
		if col.Width < 1 {
			c.errorf(field+".width", "must be 1 or more in a fixed-width layout (no delimiter)")
			continue
		}
		end := start + col.Width
		next = end
		for _, s := range spans {
			if start < s.end && s.start < end {
				c.errorf(field, "characters %d-%d overlap column %d (characters %d-%d)", start, end-1, s.i+1, s.start, s.end-1)
				break
			}
		}
		spans = append(spans, span{i, start, end})
	}
	if _, ok := seen["request_id"]; !ok {
		c.errorf("intake.text_layout.columns", "no column reads request_id; the facility needs the library's request id to answer and de-duplicate requests")
	}
}

func (c checker) checkSFTP(s *SFTPIntake) {
	if c.required("intake.sftp.account", s.Account, "the SFTP user name ALMA logs in with") &&
		strings.ContainsFunc(s.Account, func(r rune) bool { return unicode.IsSpace(r) || r == '/' || r == ':' || !unicode.IsPrint(r) }) {
		c.errorf("intake.sftp.account", "%q must not contain spaces, slashes or colons", s.Account)
	}
	if c.required("intake.sftp.directory", s.Directory, "where ALMA's job writes inside the account, e.g. 01PRI_INST/requests") {
		d := s.Directory
		switch {
		case strings.HasPrefix(d, "/"):
			c.errorf("intake.sftp.directory", "%q must be relative to the account's home (no leading /)", d)
		case strings.Contains(d, `\`):
			c.errorf("intake.sftp.directory", "%q must use / between directories", d)
		case slices.Contains(strings.Split(d, "/"), ".."):
			c.errorf("intake.sftp.directory", "%q must stay inside the account: no .. parts", d)
		case path.Clean(d) != strings.TrimSuffix(d, "/"):
			c.warnf("intake.sftp.directory", "%q is written oddly; it means %s", d, path.Clean(d))
		}
	}
	if len(s.AllowedNetworks) == 0 {
		c.errorf("intake.sftp.allowed_networks", "is required: the networks ALMA uploads from, as CIDRs (e.g. 66.151.7.0/24); credentials do not authenticate from elsewhere")
	}
	for i, n := range s.AllowedNetworks {
		field := strict.JoinIndex("intake.sftp.allowed_networks", i)
		pfx, err := netip.ParsePrefix(strings.TrimSpace(n))
		if err != nil {
			if a, aerr := netip.ParseAddr(strings.TrimSpace(n)); aerr == nil {
				c.errorf(field, "%q must be a network in CIDR form; for this one address write %s", n, netip.PrefixFrom(a, a.BitLen()))
			} else {
				c.errorf(field, "%q is not a network in CIDR form such as 192.0.2.0/24 or 2001:db8::/32", n)
			}
			continue
		}
		if pfx.Bits() == 0 {
			c.warnf(field, "%s allows uploads from anywhere; list the library's own networks", n)
		}
	}
	if s.Password == "" && len(s.AuthorizedKeys) == 0 {
		c.errorf("intake.sftp.password", "is required: a password or authorized_keys (or both), so ALMA can log in")
	}
	if s.Password != "" && len(s.Password) < minSFTPPassword {
		c.warnf("intake.sftp.password", "is shorter than %d characters; anyone on the allowed networks who guesses it can upload request files", minSFTPPassword)
	}
	for i, k := range s.AuthorizedKeys {
		field := strict.JoinIndex("intake.sftp.authorized_keys", i)
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil {
			c.errorf(field, "is not an SSH public key in authorized_keys form (\"ssh-ed25519 AAAA… comment\"): %v", err)
		}
	}
}

// minSFTPPassword is the shortest SFTP password validate accepts without a
// warning: the usual minimum for a chosen password (NIST SP 800-63B).
const minSFTPPassword = 8

// isNCName reports whether s is an XML NCName: a name without a colon.
func isNCName(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.' || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)):
		default:
			return false
		}
	}
	return s != ""
}

func (c checker) checkStyle(p *Profile) {
	s := &p.Style
	v1 := p.System == SystemALEPH
	if s.Prefix != "" {
		switch {
		case !isNCName(s.Prefix):
			c.errorf("style.prefix", "%q is not a valid XML namespace prefix (a letter or _, then letters, digits, '-', '.', '_'; no ':')", s.Prefix)
		case strings.HasPrefix(strings.ToLower(s.Prefix), "xml"):
			c.errorf("style.prefix", "%q: prefixes starting with xml are reserved by XML", s.Prefix)
		case v1:
			c.warnf("style.prefix", "NCIP 1 (ALEPH) has no namespace; the prefix is not used")
		}
	}
	if s.DefaultNamespace && s.NoNamespace {
		c.errorf("style.no_namespace", "default_namespace and no_namespace exclude each other; choose one")
	}
	if s.NoNamespace {
		if v1 {
			c.warnf("style.no_namespace", "NCIP 1 (ALEPH) never has a namespace; the setting has no effect")
		} else {
			c.warnf("style.no_namespace", "writes NCIP 2 without its namespace: ALMA rejects namespace-less messages, and they are not schema-valid; use it only to reproduce a site that sends them")
		}
	}
	if s.DefaultNamespace && v1 {
		c.warnf("style.default_namespace", "NCIP 1 (ALEPH) never has a namespace; the setting has no effect")
	}
	if s.UnqualifiedVersion {
		if v1 {
			c.warnf("style.unqualified_version", "NCIP 1's version attribute is always unqualified; the setting has no effect")
		} else {
			c.warnf("style.unqualified_version", "writes version=\"…\" without the namespace prefix, which is not schema-valid NCIP 2; a strict peer rejects the message")
		}
	}
	if s.OmitDocType {
		if v1 {
			c.warnf("style.omit_doctype", "ALEPH messages normally carry the NCIP 1 DOCTYPE; without it a peer may not tell NCIP 1 from NCIP 2 (assumed: whether CaiaSoft sends one is not public)")
		} else {
			c.warnf("style.omit_doctype", "NCIP 2 has no DOCTYPE; the setting has no effect")
		}
	}
	if !v1 && (s.DocTypePublicID != "" || s.DocTypeSystemID != "") {
		c.warnf("style.doctype_public_id", "NCIP 2 has no DOCTYPE; doctype_public_id and doctype_system_id have no effect")
	}
	if strings.Trim(s.Indent, " \t") != "" {
		c.errorf("style.indent", "may contain only spaces and tabs, not %q", s.Indent)
	}
	if s.Version != "" && (p.System == SystemALMA || v1) {
		v := ncip.V2
		if v1 {
			v = ncip.V1
		}
		if known := ncip.KnownVersionStrings(v); !slices.Contains(known, s.Version) {
			c.warnf("style.version", "%q is not a %s version string real peers send (%s)", s.Version, v, strings.Join(known, ", "))
		}
	}
	for _, k := range sortedKeys(s.SchemeDefaults) {
		if strings.TrimSpace(k) == "" {
			c.errorf(strict.JoinKey("style.scheme_defaults", k), "the element name is empty")
		}
	}
}

func (c checker) checkRetry(r *Retry) {
	for _, d := range []struct {
		field string
		v     Duration
	}{{"retry.initial", r.Initial}, {"retry.max", r.Max}, {"retry.timeout", r.Timeout}} {
		if d.v < 0 {
			c.errorf(d.field, "must not be negative (0 means the default)")
		}
	}
	if r.Initial > 0 && r.Max > 0 && r.Max < r.Initial {
		c.warnf("retry.max", "%s is shorter than retry.initial %s; every retry waits %s", r.Max, r.Initial, r.Max)
	}
	if r.Concurrency < 0 || r.Concurrency > 64 {
		c.errorf("retry.concurrency", "must be from 0 (meaning 4) to 64, not %d", r.Concurrency)
	}
}

// String writes the duration as time.Duration does ("1m0s"), for messages.
func (d Duration) String() string { return time.Duration(d).String() }

// sortedKeys returns a map's keys in order, so problems come out in the same
// order on every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
