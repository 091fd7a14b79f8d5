package profile

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/annexlab/annex/internal/strict"
	"golang.org/x/crypto/ssh"
)

// almaBase is a clean ALMA profile; cases change one line at a time so the
// line numbers below stay put.
const almaBase = `name: alma-main
system: alma
alma:
  ncip_url: https://princeton.alma.exlibrisgroup.com/view/NCIPServlet
  from_agency: 01PRI_INST
  to_agency: 01PRI_INST
  profile_code: ANNEX
  desk: MAIN.CIRC
  checkout_user: ANNEX-USER
  e_retrieval_ncip: false
translation:
  collections:
    MAIN/ANNEX: MAIN-ANNEX
  stops:
    libraries:
      MAIN: MAIN-CIRC
    pickup_libraries:
      Main Library: MAIN-CIRC
      PERSONAL_DELIVERY: MAIN-CIRC
    desks:
      Digitization Department For Institution: MAIN-CIRC
intake:
  format: alma-rsexport
  sftp:
    account: princeton
    password: a-long-secret-password
    allowed_networks: [66.151.7.0/24]
    directory: 01PRI_INST/requests
`

const alephBase = `name: aleph-main
system: aleph
aleph:
  ncip_addr: aleph.example.edu:5991
  from_agency: CAIAAGENCY
  to_agency: CLIENTAGENCY
  application_profile_type: CAIAPROFILE
  users:
    MAIN-CIRC: CAIAUSER
translation:
  collections:
    MAIN: ALEPH-MAIN
  stops:
    pickup_locations:
      Main Library Circulation Desk: MAIN-CIRC
intake:
  format: aleph-print
  api_key: 0123456789abcdef0123
`

// textBase is alephBase reading a delimited text file; lines 19 on are the layout.
var textBase = strings.Replace(alephBase, "  format: aleph-print\n", "  format: aleph-text\n", 1) + `  text_layout:
    delimiter: "|"
    columns:
      - field: request_id
      - field: barcode
      - field: pickup
`

// fixedBase is a fixed-width text layout: line 21 on are the columns.
var fixedBase = strings.Replace(alephBase, "  format: aleph-print\n", "  format: aleph-text\n", 1) + `  text_layout:
    header_lines: 1
    columns:
      - {field: request_id, start: 1, width: 9}
      - {field: barcode, start: 10, width: 14}
      - {field: pickup, start: 24, width: 30}
`

// edit replaces old with new in base, failing the test if old is absent.
func edit(t *testing.T, base, old, new string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("test input does not contain %q", old)
	}
	return strings.Replace(base, old, new, 1)
}

type want struct {
	line, col int
	field     string
	severity  string
	msg       string // a part of the message
}

// find returns the problem matching w, or reports what there was instead.
func find(t *testing.T, probs Problems, w want) {
	t.Helper()
	for _, p := range probs {
		if p.Field == w.field && p.Severity == w.severity && strings.Contains(p.Message, w.msg) {
			if p.Line != w.line || p.Column != w.col {
				t.Errorf("%s %s at %d:%d, want %d:%d: %s", w.severity, w.field, p.Line, p.Column, w.line, w.col, p)
			}
			if p.File != "p.yaml" && p.File != "f.yaml" {
				t.Errorf("file = %q in %s", p.File, p)
			}
			return
		}
	}
	t.Errorf("no %s at %s containing %q; got:\n%s", w.severity, w.field, w.msg, probs.Error())
}

func TestBasesAreClean(t *testing.T) {
	for name, base := range map[string]string{"alma": almaBase, "aleph": alephBase, "text": textBase, "fixed": fixedBase} {
		if _, probs := ParseProfile("p.yaml", []byte(base)); len(probs) > 0 {
			t.Errorf("%s: unexpected problems:\n%s", name, probs.Error())
		}
	}
}

func TestProfileChecks(t *testing.T) {
	const E, W = SeverityError, SeverityWarning
	key := ed25519.PublicKey(make([]byte, ed25519.PublicKeySize))
	pub, err := ssh.NewPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	goodKey := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	cases := []struct {
		name, base, old, new string
		want                 want
	}{
		// identity
		{"name missing", almaBase, "name: alma-main", "", want{2, 1, "name", E, "is required"}},
		{"system wrong", almaBase, "system: alma", "system: ALMA", want{2, 9, "system", E, `must be alma or aleph (lower case), not "ALMA"`}},
		{"system missing", almaBase, "system: alma", "", want{1, 1, "system", E, "is required: alma (NCIP 2) or aleph (NCIP 1)"}},
		{"aleph section on alma", almaBase, "system: alma", "system: aleph", want{3, 1, "alma", E, "an aleph profile must not have an alma: section"}},
		{"alma section missing", alephBase, "system: aleph", "system: alma", want{1, 1, "alma", E, "system is alma, so the profile needs an alma: section"}},
		{"empty alma section", almaBase, "alma:\n", "alma:\n  x:\n", want{4, 3, "alma.x", E, `unknown key "x"`}},
		// ALMA connection
		{"ncip_url not http", almaBase, "ncip_url: https://princeton.alma.exlibrisgroup.com/view/NCIPServlet", "ncip_url: ftp://alma/view/NCIPServlet",
			want{4, 13, "alma.ncip_url", E, "must be an absolute http:// or https:// URL"}},
		{"ncip_url relative", almaBase, "ncip_url: https://princeton.alma.exlibrisgroup.com/view/NCIPServlet", "ncip_url: /view/NCIPServlet",
			want{4, 13, "alma.ncip_url", E, "must be an absolute http:// or https:// URL"}},
		{"ncip_url missing", almaBase, "  ncip_url: https://princeton.alma.exlibrisgroup.com/view/NCIPServlet", "",
			want{3, 1, "alma.ncip_url", E, "is required: the ALMA NCIP URL"}},
		{"ncip_url path", almaBase, "/view/NCIPServlet", "/ncip",
			want{4, 13, "alma.ncip_url", W, "does not end in /view/NCIPServlet"}},
		{"ncip_url plain http", almaBase, "https://princeton", "http://princeton",
			want{4, 13, "alma.ncip_url", W, "sends NCIP unencrypted"}},
		{"ncip_url bad port", almaBase, "exlibrisgroup.com/", "exlibrisgroup.com:99999/",
			want{4, 13, "alma.ncip_url", E, "a port is a number from 1 to 65535"}},
		{"from_agency missing", almaBase, "  from_agency: 01PRI_INST", "", want{3, 1, "alma.from_agency", E, "is required: the facility's Agency ID"}},
		{"from_agency spaces", almaBase, "from_agency: 01PRI_INST", `from_agency: "01PRI_INST "`, want{5, 16, "alma.from_agency", E, "leading or trailing spaces"}},
		{"to_agency missing", almaBase, "  to_agency: 01PRI_INST", "", want{3, 1, "alma.to_agency", E, "is required: the ALMA institution code"}},
		{"to_agency shape", almaBase, "to_agency: 01PRI_INST", "to_agency: PRINCETON", want{6, 14, "alma.to_agency", W, "does not look like an ALMA institution code"}},
		{"profile_code missing", almaBase, "  profile_code: ANNEX", "", want{3, 1, "alma.profile_code", E, "sent as ApplicationProfileType"}},
		{"profile_code case", almaBase, "profile_code: ANNEX", "profile_code: Annex", want{7, 17, "alma.profile_code", W,
			"ALMA matches integration profile codes case-sensitively; make sure it is exactly the code in ALMA"}},
		{"desk missing", almaBase, "  desk: MAIN.CIRC", "", want{3, 1, "alma.desk", E, "is required: the circulation desk for the annex"}},
		{"desk shape", almaBase, "desk: MAIN.CIRC", "desk: MAIN.CIRC.X", want{8, 9, "alma.desk", E, "must be DESK or LIBRARY.DESK"}},
		{"desks instead", almaBase, "  desk: MAIN.CIRC", "  desks: {MAIN: \"MAIN CIRC\"}", want{8, 17, "alma.desks.MAIN", E, "must be DESK or LIBRARY.DESK"}},
		{"desk for untranslated library", almaBase, "  desk: MAIN.CIRC", "  desks: {LAW: LAW.CIRC}", want{8, 16, "alma.desks.LAW", W, "no translation.collections entry"}},
		{"checkout_user missing", almaBase, "  checkout_user: ANNEX-USER", "", want{3, 1, "alma.checkout_user", E, "NCIP 2 CheckOutItem must carry a UserId"}},
		{"cancel_request_type", almaBase, "  checkout_user: ANNEX-USER", "  checkout_user: ANNEX-USER\n  cancel_request_type: Bogus",
			want{10, 24, "alma.cancel_request_type", W, "is not an NCIP RequestType"}},
		// ALEPH connection
		{"aleph both endpoints", alephBase, "  ncip_addr: aleph.example.edu:5991", "  ncip_addr: aleph.example.edu:5991\n  ncip_url: http://aleph.example.edu:8991/ncip",
			want{4, 14, "aleph.ncip_addr", E, "give ncip_url or ncip_addr, not both"}},
		{"aleph no endpoint", alephBase, "  ncip_addr: aleph.example.edu:5991", "", want{3, 1, "aleph.ncip_url", E, "is required: the ALEPH NCIP server"}},
		{"aleph url", alephBase, "ncip_addr: aleph.example.edu:5991", "ncip_url: aleph.example.edu:8991/ncip", want{4, 13, "aleph.ncip_url", E, "must be an absolute http:// or https:// URL"}},
		{"aleph addr port", alephBase, "ncip_addr: aleph.example.edu:5991", "ncip_addr: aleph.example.edu:abc", want{4, 14, "aleph.ncip_addr", E, "a port is a number from 1 to 65535"}},
		{"aleph addr no port", alephBase, "ncip_addr: aleph.example.edu:5991", "ncip_addr: aleph.example.edu", want{4, 14, "aleph.ncip_addr", E, "must be host:port"}},
		{"aleph from missing", alephBase, "  from_agency: CAIAAGENCY", "", want{3, 1, "aleph.from_agency", E, "(CAIAAGENCY)"}},
		{"aleph to missing", alephBase, "  to_agency: CLIENTAGENCY", "", want{3, 1, "aleph.to_agency", E, "(CLIENTAGENCY)"}},
		{"aleph profile type missing", alephBase, "  application_profile_type: CAIAPROFILE", "", want{3, 1, "aleph.application_profile_type", E, "(CAIAPROFILE)"}},
		{"aleph users missing", alephBase, "    MAIN-CIRC: CAIAUSER", "", want{8, 3, "aleph.users", E, "at least one circulation stop → ALEPH user id"}},
		{"aleph user empty", alephBase, "MAIN-CIRC: CAIAUSER", `MAIN-CIRC: ""`, want{9, 16, "aleph.users.MAIN-CIRC", E, "is required: the ALEPH user id"}},
		// translation
		{"collections missing", almaBase, "    MAIN/ANNEX: MAIN-ANNEX", "", want{12, 3, "translation.collections", E, "at least one ALMA library"}},
		{"collection key", almaBase, "MAIN/ANNEX: MAIN-ANNEX", "MAIN/ANNEX/X: MAIN-ANNEX", want{13, 19, "translation.collections.MAIN/ANNEX/X", E, "must be LIBRARY or LIBRARY/LOCATION"}},
		{"collection value", almaBase, "MAIN/ANNEX: MAIN-ANNEX", "MAIN/ANNEX:", want{13, 5, "translation.collections.MAIN/ANNEX", E, "is required: the facility collection"}},
		{"stops missing", almaBase, "    libraries:\n      MAIN: MAIN-CIRC\n    pickup_libraries:\n      Main Library: MAIN-CIRC\n      PERSONAL_DELIVERY: MAIN-CIRC\n    desks:\n      Digitization Department For Institution: MAIN-CIRC\n", "", want{14, 3, "translation.stops", E, "at least one of desks, pickup_locations, pickup_libraries, libraries or institutions"}},
		{"stop value empty", almaBase, "MAIN: MAIN-CIRC", `MAIN: ""`, want{16, 13, "translation.stops.libraries.MAIN", E, "is required: the facility circulation stop"}},
		{"material empty", almaBase, "translation:\n", "translation:\n  materials: {BOOK: \"\"}\n", want{12, 21, "translation.materials.BOOK", E, "is required: the facility material"}},
		// intake
		{"format missing", almaBase, "  format: alma-rsexport", "", want{22, 1, "intake.format", E, "is required: alma-rsexport for ALMA"}},
		{"format unknown", almaBase, "format: alma-rsexport", "format: csv", want{23, 11, "intake.format", E, `"csv" is not a request-file format`}},
		{"format of other system", almaBase, "format: alma-rsexport", "format: aleph-print", want{23, 11, "intake.format", E, "an alma profile reads ALMA's export files"}},
		{"aleph format", alephBase, "format: aleph-print", "format: alma-rsexport", want{17, 11, "intake.format", E, "an aleph profile reads ALEPH request files"}},
		{"sftp missing", almaBase, "  sftp:\n    account: princeton\n    password: a-long-secret-password\n    allowed_networks: [66.151.7.0/24]\n    directory: 01PRI_INST/requests\n", "",
			want{22, 1, "intake.sftp", E, "ALMA uploads its request files by SFTP"}},
		{"sftp account missing", almaBase, "    account: princeton", "", want{24, 3, "intake.sftp.account", E, "is required: the SFTP user name"}},
		{"sftp account shape", almaBase, "account: princeton", "account: prince ton", want{25, 14, "intake.sftp.account", E, "must not contain spaces"}},
		{"sftp directory absolute", almaBase, "directory: 01PRI_INST/requests", "directory: /01PRI_INST/requests", want{28, 16, "intake.sftp.directory", E, "must be relative"}},
		{"sftp directory escapes", almaBase, "directory: 01PRI_INST/requests", "directory: 01PRI_INST/../../etc", want{28, 16, "intake.sftp.directory", E, "no .. parts"}},
		{"sftp directory missing", almaBase, "    directory: 01PRI_INST/requests", "", want{24, 3, "intake.sftp.directory", E, "is required"}},
		{"networks missing", almaBase, "allowed_networks: [66.151.7.0/24]", "allowed_networks: []", want{27, 5, "intake.sftp.allowed_networks", E, "is required: the networks ALMA uploads from"}},
		{"network address", almaBase, "[66.151.7.0/24]", "[66.151.7.5]", want{27, 24, "intake.sftp.allowed_networks[0]", E, "for this one address write 66.151.7.5/32"}},
		{"network garbage", almaBase, "[66.151.7.0/24]", "[66.151.7.0/24, alma.example.com]", want{27, 39, "intake.sftp.allowed_networks[1]", E, "is not a network in CIDR form"}},
		{"network everywhere", almaBase, "[66.151.7.0/24]", "[0.0.0.0/0]", want{27, 24, "intake.sftp.allowed_networks[0]", W, "allows uploads from anywhere"}},
		// issue 13 finding 14: a short password was not noticed while a short API key was
		{"sftp password short", almaBase, "password: a-long-secret-password", "password: ab", want{26, 15, "intake.sftp.password", W, "is shorter than 8 characters"}},
		{"no credentials", almaBase, "    password: a-long-secret-password", "", want{24, 3, "intake.sftp.password", E, "a password or authorized_keys"}},
		{"bad key", almaBase, "    password: a-long-secret-password", "    authorized_keys: [ssh-ed25519 AAAAnotakey]", want{26, 23, "intake.sftp.authorized_keys[0]", E, "is not an SSH public key"}},
		{"api key missing", alephBase, "  api_key: 0123456789abcdef0123", "", want{16, 1, "intake.api_key", E, "the key ALEPH sends in X-API-Key"}},
		{"api key short", alephBase, "api_key: 0123456789abcdef0123", "api_key: short", want{18, 12, "intake.api_key", W, "shorter than 16 characters"}},
		{"max file size", alephBase, "  api_key: 0123456789abcdef0123", "  api_key: 0123456789abcdef0123\n  max_file_size: -1", want{19, 18, "intake.max_file_size", E, "positive number of bytes"}},
		{"text layout missing", alephBase, "format: aleph-print", "format: aleph-text", want{16, 1, "intake.text_layout", E, "format is aleph-text"}},
		{"text layout unused", textBase, "format: aleph-text", "format: aleph-print", want{19, 3, "intake.text_layout", W, "is used only with format aleph-text"}},
		{"text field unknown", textBase, "field: pickup", "field: shelf", want{24, 16, "intake.text_layout.columns[2].field", E, `"shelf" is not a request field`}},
		{"text field twice", textBase, "field: pickup", "field: Barcode", want{24, 16, "intake.text_layout.columns[2].field", E, "barcode is already read by column 2"}},
		{"text no request_id", textBase, "field: request_id", "field: patron_id", want{21, 5, "intake.text_layout.columns", E, "no column reads request_id"}},
		{"text delimited width", textBase, "- field: barcode", "- {field: barcode, width: 14}", want{23, 9, "intake.text_layout.columns[1]", E, "a delimited layout reads columns in order"}},
		{"text encoding", textBase, `delimiter: "|"`, "encoding: EBCDIC", want{20, 15, "intake.text_layout.encoding", E, "is not an encoding the facility reads"}},
		{"fixed start", fixedBase, "start: 10,", "start: 0,", want{23, 33, "intake.text_layout.columns[1].start", E, "must be 1 or more"}},
		{"fixed width", fixedBase, "width: 14", "width: 0", want{23, 44, "intake.text_layout.columns[1].width", E, "must be 1 or more"}},
		{"fixed overlap", fixedBase, "start: 24", "start: 20", want{24, 9, "intake.text_layout.columns[2]", E, "characters 20-49 overlap column 2 (characters 10-23)"}},
		{"header lines", fixedBase, "header_lines: 1", "header_lines: -1", want{20, 19, "intake.text_layout.header_lines", E, "must be 0 or more"}},
		// style
		{"prefix", almaBase, "intake:\n", "style: {prefix: \"ns:1\"}\nintake:\n", want{22, 17, "style.prefix", E, "is not a valid XML namespace prefix"}},
		{"prefix xml", almaBase, "intake:\n", "style: {prefix: xmlns}\nintake:\n", want{22, 17, "style.prefix", E, "reserved by XML"}},
		{"no namespace", almaBase, "intake:\n", "style: {no_namespace: true}\nintake:\n", want{22, 23, "style.no_namespace", W, "ALMA rejects namespace-less messages"}},
		{"both namespaces", almaBase, "intake:\n", "style: {no_namespace: true, default_namespace: true}\nintake:\n", want{22, 23, "style.no_namespace", E, "exclude each other"}},
		{"unqualified version", almaBase, "intake:\n", "style: {unqualified_version: true}\nintake:\n", want{22, 30, "style.unqualified_version", W, "not schema-valid NCIP 2"}},
		{"omit doctype", alephBase, "intake:\n", "style: {omit_doctype: true}\nintake:\n", want{16, 23, "style.omit_doctype", W, "without it a peer may not tell NCIP 1 from NCIP 2"}},
		{"version", almaBase, "intake:\n", "style: {version: \"http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd\"}\nintake:\n", want{22, 18, "style.version", W, "is not a NCIP 2 version string"}},
		{"indent", almaBase, "intake:\n", "style: {indent: \"--\"}\nintake:\n", want{22, 17, "style.indent", E, "only spaces and tabs"}},
		// retry
		{"retry negative", almaBase, "intake:\n", "retry: {initial: -1s}\nintake:\n", want{22, 18, "retry.initial", E, "must not be negative"}},
		{"retry concurrency", almaBase, "intake:\n", "retry: {concurrency: 65}\nintake:\n", want{22, 22, "retry.concurrency", E, "must be from 0 (meaning 4) to 64"}},
		{"retry max", almaBase, "intake:\n", "retry: {initial: 2s, max: 1s}\nintake:\n", want{22, 27, "retry.max", W, "shorter than retry.initial"}},
		// decoding
		{"unknown key", almaBase, "name: alma-main", "nmae: alma-main", want{1, 1, "nmae", E, `unknown key "nmae" (did you mean name?)`}},
		{"unknown nested key", almaBase, "  profile_code: ANNEX", "  profile_code: ANNEX\n  agency: X", want{8, 3, "alma.agency", E, "the keys allowed here are ncip_url"}},
		{"wrong type int", almaBase, "intake:\n", "retry: {concurrency: abc}\nintake:\n", want{22, 22, "retry.concurrency", E, `must be a whole number, not "abc"`}},
		{"wrong type duration", almaBase, "intake:\n", "retry: {timeout: 10}\nintake:\n", want{22, 18, "retry.timeout", E, "must be a duration such as 500ms"}},
		{"wrong type bool", almaBase, "intake:\n", "style: {no_namespace: maybe}\nintake:\n", want{22, 23, "style.no_namespace", E, "must be true or false"}},
		{"wrong type list", almaBase, "allowed_networks: [66.151.7.0/24]", "allowed_networks: 66.151.7.0/24", want{27, 23, "intake.sftp.allowed_networks", E, "must be a list"}},
		{"wrong type section", almaBase, "desk: MAIN.CIRC", "desk: [MAIN.CIRC]", want{8, 9, "alma.desk", E, "must be a single value, not a list"}},
		{"wrong type table", almaBase, "    MAIN/ANNEX: MAIN-ANNEX", "    - MAIN-ANNEX", want{13, 5, "translation.collections", E, "must be a table of CODE: VALUE lines, not a list"}},
		{"duplicate key", almaBase, "  checkout_user: ANNEX-USER", "  checkout_user: ANNEX-USER\n  desk: CIRC", want{10, 3, "alma.desk", E, `"desk" is written twice in this mapping (first on line 8)`}},
		{"max file size type", alephBase, "  api_key: 0123456789abcdef0123", "  api_key: 0123456789abcdef0123\n  max_file_size: 64MiB", want{19, 18, "intake.max_file_size", E, "must be a whole number"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := edit(t, tc.base, tc.old, tc.new)
			if tc.name == "bad key" {
				// also check that a real key is accepted next to it
				data = strings.Replace(data, "[ssh-ed25519 AAAAnotakey]", "[ssh-ed25519 AAAAnotakey, \""+goodKey+" test\"]", 1)
			}
			_, probs := ParseProfile("p.yaml", []byte(data))
			find(t, probs, tc.want)
			for _, p := range probs {
				if p.Message == "" || (p.Line < 1 && p.Field != "") {
					t.Errorf("malformed problem %#v", p)
				}
				if tc.name == "bad key" && p.Field == "intake.sftp.authorized_keys[1]" {
					t.Errorf("a valid key was refused: %s", p)
				}
			}
		})
	}
}

func TestManyProblemsAtOnce(t *testing.T) {
	data := `name: x
system: alma
alma:
  ncip_url: ftp://alma
  profile_code: annex
  desk: A.B.C
  bogus: 1
retry:
  concurrency: abc
  initial: soon
intake:
  format: csv
`
	_, probs := ParseProfile("p.yaml", []byte(data))
	for _, w := range []want{
		{4, 13, "alma.ncip_url", SeverityError, "absolute http"},
		{5, 17, "alma.profile_code", SeverityWarning, "case-sensitively"},
		{6, 9, "alma.desk", SeverityError, "DESK or LIBRARY.DESK"},
		{7, 3, "alma.bogus", SeverityError, "unknown key"},
		{9, 16, "retry.concurrency", SeverityError, "whole number"},
		{10, 12, "retry.initial", SeverityError, "duration"},
		{12, 11, "intake.format", SeverityError, "not a request-file format"},
		{3, 1, "alma.from_agency", SeverityError, "is required"},
		{3, 1, "alma.checkout_user", SeverityError, "is required"},
		{11, 1, "intake.sftp", SeverityError, "is required"},
		{1, 1, "translation.collections", SeverityError, "is required"},
	} {
		find(t, probs, w)
	}
	for i := 1; i < len(probs); i++ {
		if probs[i].Line < probs[i-1].Line {
			t.Errorf("problems not in line order:\n%s", probs.Error())
			break
		}
	}
	if !probs.HasErrors() {
		t.Error("HasErrors = false")
	}
	if got := probs[0].String(); !strings.HasPrefix(got, "p.yaml:1:1: error: ") {
		t.Errorf("String() = %q", got)
	}
}

func TestFileLevelProblems(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line       int
		msg        string
	}{
		{"empty", "", 0, "the file is empty"},
		{"comments only", "# nothing\n", 0, "the file is empty"},
		{"null", "~\n", 1, "holds no settings"},
		{"list", "- a\n- b\n", 1, "must be a mapping of keys such as name:"},
		{"syntax", "name: a\nsystem: [alma\n", 2, "YAML syntax"},
		{"tab", "name: a\n\tsystem: alma\n", 2, "YAML syntax"},
		{"two documents", almaBase + "---\nname: b\n", 29, "more than one YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := ParseProfile("p.yaml", []byte(tc.data))
			if len(probs) == 0 {
				t.Fatal("no problems")
			}
			p := probs[0]
			if p.Line != tc.line || !strings.Contains(p.Message, tc.msg) || p.Severity != SeverityError || p.File != "p.yaml" {
				t.Errorf("got %s, want line %d %q", p, tc.line, tc.msg)
			}
		})
	}
}

func TestAliasesAndMerges(t *testing.T) {
	data := `name: alma-main
system: alma
common: &common
  from_agency: 01PRI_INST
alma:
  <<: *common
  ncip_url: https://princeton.alma.exlibrisgroup.com/view/NCIPServlet
  to_agency: 01PRI_INST
`
	p, probs := ParseProfile("p.yaml", []byte(data))
	find(t, probs, want{3, 1, "common", SeverityError, `unknown key "common"`})
	if p.ALMA == nil || p.ALMA.FromAgency != "01PRI_INST" {
		t.Errorf("merge key not applied: %+v", p.ALMA)
	}
	// A self-referring alias and an alias bomb end with a problem, not a hang.
	cycle := "name: &a [*a]\n"
	if _, probs := ParseProfile("p.yaml", []byte(cycle)); !probs.HasErrors() {
		t.Error("self-referring alias accepted")
	}
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d {<<: [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]}\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("translation: {collections: *a8}\n")
	if _, probs := ParseProfile("p.yaml", []byte(b.String())); !probs.HasErrors() {
		t.Error("alias bomb accepted")
	}
}

func TestLoadProfileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(edit(t, almaBase, "profile_code: ANNEX", "profile_code: \"\"")), 0o644)
	_, err := LoadProfile(bad)
	var probs Problems
	if !errors.As(err, &probs) || !probs.HasErrors() || probs[0].File != bad {
		t.Fatalf("LoadProfile error = %v", err)
	}
	warn := filepath.Join(dir, "warn.yaml")
	os.WriteFile(warn, []byte(edit(t, almaBase, "profile_code: ANNEX", "profile_code: Annex")), 0o644)
	if p, err := LoadProfile(warn); err != nil || p.ALMA.ProfileCode != "Annex" || p.File != warn {
		t.Fatalf("warnings only: %v %+v", err, p)
	}
	if _, err := LoadProfile(filepath.Join(dir, "missing.yaml")); err == nil || errors.As(err, &probs) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	p, _ := ParseProfile("p.yaml", []byte(almaBase))
	d := p.Defaults()
	if d.Retry != (Retry{Initial: Duration(5e8), Max: Duration(6e10), Timeout: Duration(1e10), Concurrency: 4}) {
		t.Errorf("retry defaults = %+v", d.Retry)
	}
	if d.ALMA.CancelRequestType != "Hold" || d.Intake.MaxFileSize != 256<<20 {
		t.Errorf("defaults = %+v %+v", d.ALMA, d.Intake)
	}
	if p.ALMA.CancelRequestType != "" {
		t.Error("Defaults changed its receiver's ALMA section")
	}
	set := edit(t, almaBase, "intake:\n", "retry: {initial: 1s, concurrency: 2}\nintake:\n")
	p, _ = ParseProfile("p.yaml", []byte(set))
	if r := p.Defaults().Retry; r.Initial != Duration(1e9) || r.Concurrency != 2 || r.Max != Duration(6e10) {
		t.Errorf("set values overridden: %+v", r)
	}
	if f := (Facility{}).Defaults(); f.Listen != DefaultListen {
		t.Errorf("facility defaults: %+v", f)
	}
}

func TestDemoFixtures(t *testing.T) {
	f, profiles, err := LoadFacility(filepath.Join("..", "..", "fixtures", "profiles", "facility-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f.File)
	_, _, probs := ParseFacility("facility-demo.yaml", data, relativeReader(f.File))
	// demo-key is mock ALEPH's demo key, short on purpose: the one warning.
	if len(probs) != 1 || probs[0].Field != "intake.api_key" || probs[0].Severity != SeverityWarning {
		t.Errorf("demo fixtures: want only the short demo-key warning, got:\n%s", probs.Error())
	}
	wantF, wantP := DemoFacility()
	f.File = ""
	for i := range profiles {
		profiles[i].File, profiles[i].places = "", nil
	}
	if !reflect.DeepEqual(f, wantF) {
		t.Errorf("facility-demo.yaml = %+v\nDemoFacility = %+v", f, wantF)
	}
	if !reflect.DeepEqual(profiles, wantP) {
		t.Errorf("profiles = %+v\nDemoFacility = %+v", profiles, wantP)
	}
	// DemoFacility checks clean as well, written inline.
	wantF.Profiles, wantF.Inline = nil, wantP
	var c Problems
	for i := range wantF.Inline {
		ck := checker{file: "demo", loc: strict.NewPlaces(), prefix: strict.JoinIndex("inline_profiles", i), probs: &c, failed: map[string]bool{}}
		ck.checkProfile(&wantF.Inline[i])
	}
	if c.HasErrors() {
		t.Errorf("DemoFacility has errors:\n%s", c.Error())
	}
}

// facilityBase names two profile files held in memory by the tests.
const facilityBase = `name: annex
listen: 127.0.0.1:7700
api_key: 0123456789abcdef-facility
stops:
  - {code: MAIN-CIRC, active: true}
  - {code: OLD-CIRC, active: false}
profiles:
  - alma.yaml
  - aleph.yaml
inventory:
  - {barcode: "39015000000001", collection: MAIN-ANNEX, profile: alma-main}
  - {barcode: "000000001", collection: ALEPH-MAIN, profile: aleph-main}
`

func parseFacility(t *testing.T, facility string, files map[string]string) (Facility, []Profile, Problems) {
	t.Helper()
	return ParseFacility("f.yaml", []byte(facility), func(rel string) (string, []byte, error) {
		data, ok := files[rel]
		if !ok {
			return rel, nil, fmt.Errorf("%s: %w", rel, os.ErrNotExist)
		}
		return "p.yaml", []byte(data), nil
	})
}

func TestFacilityChecks(t *testing.T) {
	const E, W = SeverityError, SeverityWarning
	files := map[string]string{"alma.yaml": almaBase, "aleph.yaml": alephBase}
	if _, ps, probs := parseFacility(t, facilityBase, files); len(probs) > 0 || len(ps) != 2 {
		t.Fatalf("base facility: %d profiles, problems:\n%s", len(ps), probs.Error())
	}
	cases := []struct {
		name, old, new string
		files          map[string]string
		want           want
	}{
		{"duplicate stop", "OLD-CIRC, active: false", "MAIN-CIRC, active: false", nil, want{6, 12, "stops[1].code", E, "stop MAIN-CIRC is already defined as stops[0]"}},
		{"no stops", "stops:\n  - {code: MAIN-CIRC, active: true}\n  - {code: OLD-CIRC, active: false}\n", "stops: []\n", nil, want{4, 1, "stops", E, "is required: the facility's circulation stops"}},
		{"listen", "listen: 127.0.0.1:7700", "listen: localhost", nil, want{2, 9, "listen", E, "must be host:port"}},
		{"api key", "api_key: 0123456789abcdef-facility", "", nil, want{1, 1, "api_key", E, "is required"}},
		{"api key short", "api_key: 0123456789abcdef-facility", "api_key: short", nil, want{3, 10, "api_key", W, "shorter than 16"}},
		{"profile unreadable", "- aleph.yaml", "- aleph2.yaml", nil, want{9, 5, "profiles[1]", E, "cannot read the profile file: aleph2.yaml: file does not exist"}},
		{"profile twice", "- aleph.yaml", "- alma.yaml", nil, want{9, 5, "profiles[1]", E, "is already listed as profiles[0]"}},
		{"unknown stop", "", "", map[string]string{"alma.yaml": edit(t, almaBase, "MAIN: MAIN-CIRC", "MAIN: LAW-CIRC")},
			want{16, 13, "translation.stops.libraries.MAIN", E, `stop "LAW-CIRC" is not one of the facility's stops (MAIN-CIRC, OLD-CIRC)`}},
		{"unknown user stop", "", "", map[string]string{"aleph.yaml": edit(t, alephBase, "MAIN-CIRC: CAIAUSER", "SCI-CIRC: CAIAUSER")},
			want{9, 5, "aleph.users.SCI-CIRC", E, `stop "SCI-CIRC" is not one of the facility's stops`}},
		{"inactive stop", "", "", map[string]string{"alma.yaml": edit(t, almaBase, "MAIN: MAIN-CIRC", "MAIN: OLD-CIRC")},
			want{16, 13, "translation.stops.libraries.MAIN", W, "stop OLD-CIRC is not active"}},
		{"same name", "", "", map[string]string{"aleph.yaml": edit(t, alephBase, "name: aleph-main", "name: alma-main")},
			want{1, 7, "name", E, `profile name "alma-main" is already used by p.yaml`}},
		{"same account", "- aleph.yaml", "- alma2.yaml", map[string]string{"alma2.yaml": edit(t, almaBase, "name: alma-main", "name: alma-law")},
			want{25, 14, "intake.sftp.account", E, `SFTP account "princeton" is already used`}},
		{"facility key reused", "api_key: 0123456789abcdef-facility", "api_key: 0123456789abcdef0123", nil,
			want{18, 12, "intake.api_key", E, "is the facility's own api_key"}},
		{"inventory profile", "profile: aleph-main}", "profile: aleph-law}", nil, want{12, 61, "inventory[1].profile", E, `no profile is named "aleph-law"`}},
		{"inventory collection", "collection: ALEPH-MAIN", "collection: ALEPH-LAW", nil, want{12, 40, "inventory[1].collection", E, "no profile's translation.collections produces collection ALEPH-LAW"}},
		{"inventory other collection", "collection: ALEPH-MAIN", "collection: MAIN-ANNEX", nil, want{12, 40, "inventory[1].collection", W, "comes from the translation of alma-main, not of aleph-main"}},
		{"inventory barcode", `"000000001"`, `"39015000000001"`, nil, want{12, 15, "inventory[1].barcode", E, "already in the inventory as inventory[0]"}},
		{"no profiles", "profiles:\n  - alma.yaml\n  - aleph.yaml\n", "", nil, want{1, 1, "profiles", E, "at least one library profile"}},
		{"unknown key", "listen:", "listne:", nil, want{2, 1, "listne", E, "did you mean listen?"}},
		{"inline profile", "profiles:\n  - alma.yaml\n  - aleph.yaml\n", "inline_profiles:\n  - name: x\n    system: aleph\n", nil,
			want{8, 5, "inline_profiles[0].aleph", E, "system is aleph, so the profile needs an aleph: section"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := map[string]string{"alma.yaml": almaBase, "aleph.yaml": alephBase}
			for k, v := range tc.files {
				fs[k] = v
			}
			facility := facilityBase
			if tc.old != "" {
				facility = edit(t, facility, tc.old, tc.new)
			}
			_, _, probs := parseFacility(t, facility, fs)
			find(t, probs, tc.want)
		})
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	os.WriteFile(a, []byte(almaBase), 0o644)
	os.WriteFile(b, []byte(edit(t, almaBase, "account: princeton", "account: other")), 0o644)
	ps, probs, err := Validate(a, b, filepath.Join(dir, "missing.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	if len(ps) != 2 {
		t.Fatalf("%d profiles", len(ps))
	}
	var dup, stops int
	for _, p := range probs {
		switch {
		case p.File == b && p.Field == "name" && p.Severity == SeverityError && strings.Contains(p.Message, "already used by "+a):
			dup++
		case p.Field == "translation.stops" && p.Severity == SeverityWarning && strings.Contains(p.Message, "MAIN-CIRC are not checked"):
			stops++
		}
	}
	if dup != 1 || stops != 2 {
		t.Errorf("dup=%d stops=%d:\n%s", dup, stops, probs.Error())
	}

	// With the facility, the stops are checked and the facility's own profiles are not reported twice.
	fx := filepath.Join("..", "..", "fixtures", "profiles")
	law := filepath.Join(dir, "law.yaml")
	os.WriteFile(law, []byte(edit(t, edit(t, edit(t, almaBase, "name: alma-main", "name: alma-demo"), "MAIN: MAIN-CIRC", "MAIN: MAIN-CIRC\n      LAW: NOPE"), "account: princeton", "account: alma")), 0o644)
	_, ps, probs, err = ValidateWithFacility(filepath.Join(fx, "facility-demo.yaml"), filepath.Join(fx, "alma-demo.yaml"), law)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Errorf("%d profiles", len(ps))
	}
	var got []string
	for _, p := range probs {
		got = append(got, fmt.Sprintf("%s %s %s", filepath.Base(p.File), p.Severity, p.Field))
	}
	wantProbs := []string{
		"aleph-demo.yaml warning intake.api_key",
		"law.yaml error name",
		"law.yaml error translation.stops.libraries.LAW",
		"law.yaml error intake.sftp.account",
	}
	if !reflect.DeepEqual(got, wantProbs) {
		t.Errorf("problems = %q, want %q\n%s", got, wantProbs, probs.Error())
	}
}

func TestBudgetMessage(t *testing.T) {
	var b strings.Builder
	b.WriteString("bogus: 1\na0: &a0 {name: x}\n")
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&b, "a%d: &a%d {<<: [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]}\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("inline_profiles: [*a7]\n")
	_, _, probs := ParseFacility("f.yaml", []byte(b.String()), nil)
	found := false
	for _, p := range probs {
		found = found || strings.Contains(p.Message, "expands to more than")
	}
	if !found || len(probs) > strict.MaxProblems+10 {
		t.Errorf("%d problems, budget message %v", len(probs), found)
	}
}

// An edited copy of a profile the facility lists is checked in its place:
// no name or SFTP-account clash with the original, whose problems are not
// reported (issue 13 finding 5, the README's validate walkthrough).
func TestValidateWithFacilityStandIn(t *testing.T) {
	fx := filepath.Join("..", "..", "fixtures", "profiles")
	data, err := os.ReadFile(filepath.Join(fx, "alma-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "alma-fixed.yaml")
	if err := os.WriteFile(copyPath, []byte(edit(t, string(data), "profile_code: ANNEX", "profile_code: ANNEX2")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, ps, probs, err := ValidateWithFacility(filepath.Join(fx, "facility-demo.yaml"), copyPath)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range ps {
		files = append(files, filepath.Base(p.File))
	}
	if !reflect.DeepEqual(files, []string{"aleph-demo.yaml", "alma-fixed.yaml"}) {
		t.Errorf("profiles %q, want aleph-demo.yaml and the copy in alma-demo.yaml's place", files)
	}
	if errs, _ := probs.Count(); errs != 0 {
		t.Errorf("%d errors:\n%s", errs, probs.Error())
	}
	for _, p := range probs {
		if filepath.Base(p.File) == "alma-demo.yaml" {
			t.Errorf("the replaced profile is still reported: %s", p)
		}
	}
}

// A mixed-case profile code the profile states is exact draws no warning;
// without the statement it still does (issue 13 finding 14).
func TestProfileCodeExact(t *testing.T) {
	mixed := edit(t, almaBase, "profile_code: ANNEX", "profile_code: Annex")
	for _, tc := range []struct {
		name, data string
		warned     bool
	}{
		{"not stated", mixed, true},
		{"stated", edit(t, mixed, "profile_code: Annex", "profile_code: Annex\n  profile_code_exact: true"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := ParseProfile("p.yaml", []byte(tc.data))
			warned := slices.ContainsFunc(probs, func(p Problem) bool { return p.Field == "alma.profile_code" })
			if warned != tc.warned {
				t.Errorf("warned about alma.profile_code: %v, want %v\n%s", warned, tc.warned, probs.Error())
			}
			if errs, _ := probs.Count(); errs > 0 {
				t.Errorf("errors:\n%s", probs.Error())
			}
		})
	}
}
