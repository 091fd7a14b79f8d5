package alma

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/annexlab/annex/formats/rsexport"
	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/simapi"
)

// Export shapes (ExportConfig.Shape).
const (
	// ShapeReal is the file real ALMA sites export (docs/libraries.md, ALMA): root
	// xb:rsExportList in the Ex Libris namespace, pickup library names,
	// the real request types. The default.
	ShapeReal = "real"
	// ShapeLegacy is the shape earlier annex versions assumed before the
	// real files were public: root xb:requests in urn:annex:assumed:rsexport,
	// pickupLocation codes, HOLD. Kept for consumers tested against it.
	ShapeLegacy = "legacy"
)

// Export file defaults. The real shape's names come from formats/rsexport;
// these are the file names and the legacy shape's assumed names.
const (
	// DefaultExportFileName: {inst}, {profile} and {time} (UTC,
	// 20060102_150405_000 from the clock) are replaced. Real sites' files
	// carry the profile as prefix (BUL_ANNEX-…xml).
	DefaultExportFileName = "{profile}-{time}.xml"
	// LegacyExportFileName is the legacy shape's default file name.
	LegacyExportFileName    = "{inst}_{profile}_requests_{time}.xml"
	LegacyExportNamespace   = "urn:annex:assumed:rsexport"
	LegacyExportRoot        = "requests"
	legacyHoldType          = "HOLD"
	realExportDeclaration   = `<?xml version="1.0" encoding="utf-8"?>`
	legacyExportDeclaration = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`
)

// ExportConfig configures the "Send Requests to Remote Storage" job.
type ExportConfig struct {
	// Profile is the integration profile whose requests are exported; "" means the first.
	Profile string `yaml:"profile"`
	// Every runs the job on a schedule; 0 means only on POST /_sim/export.
	Every time.Duration `yaml:"every"`
	// SFTPAddr is the facility's SFTP server, host:port.
	SFTPAddr string `yaml:"sftp_addr"`
	// User and Password, or PrivateKey (PEM) / PrivateKeyFile, authenticate the upload.
	User           string `yaml:"user"`
	Password       string `yaml:"password"`
	PrivateKey     string `yaml:"private_key"`
	PrivateKeyFile string `yaml:"private_key_file"`
	// HostKey is the server's public key as an authorized_keys line. When it
	// is empty any host key is accepted: convenient for a local demo, and
	// the journal entry of each upload says the key was not checked.
	HostKey string `yaml:"host_key"`
	// SourceAddr is the local IP address uploads come from, since facilities
	// allow ALMA's addresses only; "" lets the system choose.
	SourceAddr string `yaml:"source_addr"`
	// Dir is the remote directory, such as 01PRI_INST/requests.
	Dir string `yaml:"dir"`
	// Timeout bounds one upload; 0 means 30s.
	Timeout time.Duration `yaml:"timeout"`

	// Shape is ShapeReal ("" reads so) or ShapeLegacy.
	Shape string `yaml:"shape"`
	// InstitutionCode writes institutionCode in every record; real sites'
	// files often have none, so it is off by default.
	InstitutionCode bool `yaml:"institution_code"`
	// FileName, Namespace, Prefix and Root shape the file; "" means the
	// shape's defaults (DefaultExportFileName and formats/rsexport, or the Legacy* constants).
	FileName  string `yaml:"file_name"`
	Namespace string `yaml:"namespace"`
	Prefix    string `yaml:"prefix"`
	Root      string `yaml:"root"`
}

// validate refuses an export shape the job cannot write.
func (c ExportConfig) validate() error {
	if c.Shape != "" && c.Shape != ShapeReal && c.Shape != ShapeLegacy {
		return fmt.Errorf("export.shape %q is not %s or %s", c.Shape, ShapeReal, ShapeLegacy)
	}
	return nil
}

// ExportResult is what one run of the job did; POST /_sim/export returns it as JSON.
type ExportResult struct {
	File     string   `json:"file"`
	Requests int      `json:"requests"`
	IDs      []string `json:"request_ids,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// Export runs the job once: it writes the pending requests of the
// profile's remote-storage locations as one file, uploads it by SFTP and
// marks them exported. With no pending requests nothing is uploaded.
func (s *Server) Export(ctx context.Context) (ExportResult, error) {
	s.exportMu.Lock()
	defer s.exportMu.Unlock()
	s.mu.Lock()
	name, data, ids, err := s.buildExport()
	s.mu.Unlock()
	res := ExportResult{File: name, Requests: len(ids), IDs: ids}
	if err != nil {
		res.Error = err.Error()
		return res, fmt.Errorf("export: %w", err)
	}
	if len(ids) == 0 {
		return res, nil
	}
	if err := s.upload(ctx, name, data); err != nil {
		res.Error = err.Error()
		return res, fmt.Errorf("export: %w", err)
	}
	s.mu.Lock()
	for _, id := range ids {
		// A request cancelled while the upload ran keeps its new step.
		if r := s.world.requests[id]; r != nil && r.Step == StepPending {
			r.Step = StepExported
		}
	}
	s.mu.Unlock()
	return res, nil
}

// BuildExport returns the file the job would write now, without uploading
// or changing anything: its name, its bytes and the request ids in it.
func (s *Server) BuildExport() (name string, data []byte, ids []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buildExport()
}

func (s *Server) buildExport() (string, []byte, []string, error) {
	w := s.world
	st := &w.st
	if len(st.Profiles) == 0 {
		return "", nil, nil, fmt.Errorf("no remote-storage integration profile is configured")
	}
	prof := w.profiles[s.cfg.Export.Profile]
	if s.cfg.Export.Profile == "" {
		prof = &st.Profiles[0]
	}
	if prof == nil {
		return "", nil, nil, fmt.Errorf("export profile %q is not configured", s.cfg.Export.Profile)
	}
	// inStorage finds the item a request is for in the profile's locations;
	// a title-level request is served by any item of the title there.
	inStorage := func(r *Request) *Item {
		if r.Barcode != "" {
			if it := w.items[r.Barcode]; it != nil && w.remote[LocationRef{it.Library, it.Location}] == prof.Code {
				return it
			}
			return nil
		}
		for i := range st.Items {
			it := &st.Items[i]
			if it.MMSID == r.MMSID && w.remote[LocationRef{it.Library, it.Location}] == prof.Code {
				return it
			}
		}
		return nil
	}
	type entry struct {
		r  *Request
		it *Item
	}
	var entries []entry
	for i := range st.Requests {
		r := &st.Requests[i]
		if r.Step != StepPending {
			continue
		}
		if it := inStorage(r); it != nil {
			entries = append(entries, entry{r, it})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.r.ID, b.r.ID) })
	cfg := s.cfg.Export
	legacy := cfg.Shape == ShapeLegacy
	x := &xmlWriter{prefix: cmp.Or(cfg.Prefix, rsexport.Prefix)}
	root, ns, decl, empty := rsexport.Root, rsexport.Namespace, realExportDeclaration, " />"
	if legacy {
		root, ns, decl, empty = LegacyExportRoot, LegacyExportNamespace, legacyExportDeclaration, "/>"
	}
	root, ns, x.empty = cmp.Or(cfg.Root, root), cmp.Or(cfg.Namespace, ns), empty
	x.buf.WriteString(decl + "\n")
	x.buf.WriteString("<" + x.prefix + ":" + root + " xmlns:" + x.prefix + `="`)
	escape(&x.buf, ns, true)
	x.buf.WriteString("\">\n")
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.r.ID)
		if legacy {
			writeLegacy(x, st, e.r, e.it)
		} else {
			writeRecord(x, w, cfg, e.r, e.it)
		}
	}
	x.buf.WriteString("</" + x.prefix + ":" + root + ">\n")
	return s.exportFileName(prof.Code), x.buf.Bytes(), ids, nil
}

// writeRecord writes one request as real ALMA does (docs/libraries.md, ALMA), its
// elements in rsexport.RecordFields order. Empty leaves are left out;
// the containers are always written.
func writeRecord(x *xmlWriter, w *world, cfg ExportConfig, r *Request, it *Item) {
	st := &w.st
	digitization := rsexport.KindOf(r.Type) == rsexport.Digitization
	titleLevel := r.Barcode == ""
	lib := w.libs[cmp.Or(r.PickupLibrary, it.Library)]
	x.open(1, rsexport.Record)
	for _, f := range rsexport.RecordFields() {
		switch f {
		case "requestType":
			x.leaf(2, f, r.Type)
		case "requestId":
			x.leaf(2, f, r.ID)
		case "pickup":
			x.open(2, f)
			switch {
			case r.PersonalDelivery:
				x.leaf(3, "library", rsexport.PersonalDelivery)
			case digitization:
				x.leaf(3, "library", cmp.Or(st.InstitutionName, st.Institution))
				x.leaf(3, "desk", w.deskName(r.PickupLibrary, r.PickupDesk))
			case lib != nil:
				x.leaf(3, "library", cmp.Or(lib.Name, lib.Code))
			}
			x.close(2, f)
		case "operationalRecordinformation":
			x.open(2, f)
			x.leaf(3, "call_number_type", it.CallNumberType)
			x.leaf(3, "permanent_call_number", it.CallNumber)
			x.leaf(3, "permanent_physical_location_code", it.Location)
			x.close(2, f)
		case "barcode":
			// A title-level request carries its citation where the barcode goes.
			if titleLevel {
				x.leaf(2, f, r.Citation)
			} else {
				x.leaf(2, f, r.Barcode)
			}
		case "mmsId":
			if !titleLevel {
				x.leaf(2, f, cmp.Or(r.MMSID, it.MMSID))
			}
		case "itemId":
			if !titleLevel {
				x.leaf(2, f, it.ItemID)
			}
		case "title":
			x.leaf(2, f, it.Title)
		case "requestedInfo":
			desc, part := requestedInfo(r, it)
			if desc != "" || part != "" {
				x.open(2, f)
				x.nilLeaf(3, "description", desc) // as ALMA writes it: nil when the requester gave none
				x.leaf(3, "partToDigitize", part)
				x.close(2, f)
			}
		case "patronInfo":
			x.open(2, f)
			x.leaf(3, "patronName", r.Patron.Name)
			x.leaf(3, "patronIdentifier", r.Patron.Identifier)
			x.leaf(3, "patronEmail", r.Patron.Email)
			if !digitization {
				x.leaf(3, "patronAddress", r.Patron.Address)
			}
			x.close(2, f)
		case "shipAddress":
			a := r.ShipAddress
			if a == nil || *a == (Address{}) {
				x.emptyElem(2, f)
				continue
			}
			x.open(2, f)
			for _, l := range []struct{ name, v string }{{"line1", a.Line1}, {"line2", a.Line2}, {"line3", a.Line3},
				{"line4", a.Line4}, {"line5", a.Line5}, {"city", a.City}, {"country", a.Country},
				{"postalCode", a.PostalCode}, {"stateProvince", a.StateProvince}} {
				x.nilLeaf(3, l.name, l.v)
			}
			x.close(2, f)
		case "libraryCode":
			// Digitization and personal delivery name no pickup library.
			if !digitization && !r.PersonalDelivery && lib != nil {
				x.leaf(2, f, lib.Code)
			}
		case "digitizationDepartmentCode":
			if digitization {
				x.leaf(2, f, r.DigitizationDepartment)
			}
		case "requestNote":
			x.leaf(2, f, r.Note)
		case "bibliographicInformation":
			vals := []string{it.Author, it.ISBN, it.ISSN, it.PlaceOfPublication, it.DateOfPublication}
			if !slices.ContainsFunc(vals, func(v string) bool { return v != "" }) {
				x.emptyElem(2, f)
				continue
			}
			x.open(2, f)
			for i, name := range rsexport.BibliographicFields() {
				x.leaf(3, name, vals[i])
			}
			x.close(2, f)
		case "institutionCode":
			if cfg.InstitutionCode {
				x.leaf(2, f, st.Institution)
			}
		}
	}
	x.close(1, rsexport.Record)
}

// requestedInfo is what the request asks for: the description of the
// part wanted (the request's, else the item's) and the part to digitize.
func requestedInfo(r *Request, it *Item) (description, part string) {
	if ri := r.RequestedInfo; ri != nil {
		description, part = ri.Description, ri.PartToDigitize
	}
	return cmp.Or(description, r.Description, it.Description), part
}

// writeLegacy writes one request in the shape earlier annex versions
// assumed; empty leaves are written empty, as they were.
func writeLegacy(x *xmlWriter, st *State, r *Request, it *Item) {
	typ := r.Type
	if typ == rsexport.TypePatronPhysical {
		typ = legacyHoldType
	}
	desc, part := requestedInfo(r, it)
	x.open(1, rsexport.Record)
	x.emptyLeaf(2, "requestType", typ)
	x.emptyLeaf(2, "requestId", r.ID)
	x.open(2, "pickup")
	x.emptyLeaf(3, "library", r.PickupLibrary)
	x.emptyLeaf(3, "pickupLocation", r.PickupLocation)
	x.close(2, "pickup")
	x.open(2, "operationalRecordinformation")
	x.emptyLeaf(3, "permanent_physical_location_code", it.Location)
	x.close(2, "operationalRecordinformation")
	x.emptyLeaf(2, "barcode", r.Barcode)
	x.emptyLeaf(2, "mmsId", cmp.Or(r.MMSID, it.MMSID))
	x.emptyLeaf(2, "itemId", it.ItemID)
	x.emptyLeaf(2, "requestedInfo", part)
	x.open(2, "patronInfo")
	x.emptyLeaf(3, "patronName", r.Patron.Name)
	x.emptyLeaf(3, "patronIdentifier", r.Patron.Identifier)
	x.emptyLeaf(3, "patronEmail", r.Patron.Email)
	if rsexport.KindOf(r.Type) == rsexport.Digitization || strings.Contains(r.Type, "P2D") {
		x.emptyLeaf(3, "patronAddress", r.Patron.Address)
	}
	x.close(2, "patronInfo")
	x.emptyLeaf(2, "institutionCode", st.Institution)
	x.emptyLeaf(2, "libraryCode", it.Library)
	x.emptyLeaf(2, "description", desc)
	x.emptyLeaf(2, "requestNote", r.Note)
	x.close(1, rsexport.Record)
}

func (s *Server) exportFileName(profile string) string {
	t := s.clock().UTC()
	stamp := t.Format("20060102_150405") + fmt.Sprintf("_%03d", t.Nanosecond()/int(time.Millisecond))
	name := DefaultExportFileName
	if s.cfg.Export.Shape == ShapeLegacy {
		name = LegacyExportFileName
	}
	return strings.NewReplacer("{inst}", s.cfg.State.Institution, "{profile}", profile, "{time}", stamp).
		Replace(cmp.Or(s.cfg.Export.FileName, name))
}

// xmlWriter writes the export file: two-space indentation, one element per line.
type xmlWriter struct {
	buf    bytes.Buffer
	prefix string
	// empty ends an empty element: " />" as ALMA writes it, "/>" in the legacy shape.
	empty string
}

func (x *xmlWriter) indent(n int) { x.buf.WriteString(strings.Repeat("  ", n)) }

func (x *xmlWriter) open(n int, name string) {
	x.indent(n)
	x.buf.WriteString("<" + x.prefix + ":" + name + ">\n")
}

func (x *xmlWriter) close(n int, name string) {
	x.indent(n)
	x.buf.WriteString("</" + x.prefix + ":" + name + ">\n")
}

func (x *xmlWriter) emptyElem(n int, name string) {
	x.indent(n)
	x.buf.WriteString("<" + x.prefix + ":" + name + x.empty + "\n")
}

// leaf writes a text element, nothing when text is empty.
func (x *xmlWriter) leaf(n int, name, text string) {
	if text != "" {
		x.emptyLeaf(n, name, text)
	}
}

// emptyLeaf writes a text element, an empty element when text is empty.
func (x *xmlWriter) emptyLeaf(n int, name, text string) {
	if text == "" {
		x.emptyElem(n, name)
		return
	}
	x.indent(n)
	x.buf.WriteString("<" + x.prefix + ":" + name + ">")
	escape(&x.buf, text, false)
	x.buf.WriteString("</" + x.prefix + ":" + name + ">\n")
}

// nilLeaf writes a text element, or xsi:nil when text is empty, as ALMA
// writes the unused lines of a shipAddress.
func (x *xmlWriter) nilLeaf(n int, name, text string) {
	if text != "" {
		x.emptyLeaf(n, name, text)
		return
	}
	x.indent(n)
	x.buf.WriteString("<" + x.prefix + ":" + name + ` xsi:nil="true" xmlns:xsi="` + rsexport.XSINamespace + `"` + x.empty + "\n")
}

func escape(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\r':
			// A literal CR would be read back as LF (XML end-of-line handling).
			b.WriteString("&#xD;")
		case r < 0x20 && r != '\t' && r != '\n', r == 0xFFFE, r == 0xFFFF:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
}

// upload pushes one file over SFTP and journals it (transport "sftp", direction "out").
func (s *Server) upload(ctx context.Context, name string, data []byte) (err error) {
	cfg := s.cfg.Export
	start := time.Now()
	remote := path.Join(cfg.Dir, name)
	ex := journal.Exchange{Simulator: "alma", Transport: "sftp", Direction: "out", RemoteAddr: cfg.SFTPAddr,
		Method: "PUT", URL: "sftp://" + cfg.User + "@" + cfg.SFTPAddr + "/" + remote, Service: "rsExport", Request: data}
	if cfg.HostKey == "" {
		// A note on how the upload was made, not why anything failed: a
		// finding, so it never reads as the closest miss of a failure.
		ex.Findings = []ncip.Finding{{Rule: "export.host_key", Severity: ncip.Warning,
			Message: "host key not checked: export.host_key is not set"}}
	}
	defer func() {
		ex.Duration = time.Since(start)
		if err != nil {
			ex.Error = err.Error()
		}
		s.journal.Add(ex)
	}()
	if cfg.SFTPAddr == "" {
		return fmt.Errorf("upload %s: export.sftp_addr is not set", name)
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(cfg.Timeout, 30*time.Second))
	defer cancel()
	sc, err := s.sshConfig()
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	d := net.Dialer{}
	if cfg.SourceAddr != "" {
		ip := net.ParseIP(cfg.SourceAddr)
		if ip == nil {
			return fmt.Errorf("upload %s: source_addr %q is not an IP address", name, cfg.SourceAddr)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	conn, err := d.DialContext(ctx, "tcp", cfg.SFTPAddr)
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	ex.LocalAddr = conn.LocalAddr().String()
	// The SSH handshake and the transfer do not take a context; closing the
	// connection when ctx ends is what bounds them.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cc, chans, reqs, err := ssh.NewClientConn(conn, cfg.SFTPAddr, sc)
	if err != nil {
		conn.Close()
		return fmt.Errorf("upload %s: ssh: %w", name, err)
	}
	client := ssh.NewClient(cc, chans, reqs)
	defer client.Close()
	sf, err := sftp.NewClient(client)
	if err != nil {
		return fmt.Errorf("upload %s: sftp: %w", name, err)
	}
	defer sf.Close()
	if cfg.Dir != "" {
		if err := sf.MkdirAll(cfg.Dir); err != nil {
			return fmt.Errorf("upload %s: mkdir %s: %w", name, cfg.Dir, err)
		}
	}
	f, err := sf.Create(remote)
	if err != nil {
		return fmt.Errorf("upload %s: create: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("upload %s: write: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("upload %s: close: %w", name, err)
	}
	ex.Status = 200
	return nil
}

func (s *Server) sshConfig() (*ssh.ClientConfig, error) {
	cfg := s.cfg.Export
	sc := &ssh.ClientConfig{User: cfg.User, Timeout: cmp.Or(cfg.Timeout, 30*time.Second)}
	key := []byte(cfg.PrivateKey)
	if cfg.PrivateKeyFile != "" {
		b, err := os.ReadFile(cfg.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		key = b
	}
	if len(key) > 0 {
		signer, err := ssh.ParsePrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		sc.Auth = append(sc.Auth, ssh.PublicKeys(signer))
	}
	if cfg.Password != "" {
		sc.Auth = append(sc.Auth, ssh.Password(cfg.Password))
	}
	if cfg.HostKey == "" {
		sc.HostKeyCallback = ssh.InsecureIgnoreHostKey() // documented: no host_key configured
	} else {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(cfg.HostKey))
		if err != nil {
			return nil, fmt.Errorf("host key: %w", err)
		}
		sc.HostKeyCallback = ssh.FixedHostKey(pk)
	}
	return sc, nil
}

func (s *Server) serveExport(w http.ResponseWriter, r *http.Request) {
	if !simapi.NoFields(w, r) {
		return
	}
	res, err := s.Export(r.Context())
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadGateway
	}
	simapi.WriteJSON(w, status, res)
}

// exportLoop runs the job on a schedule until Close.
func (s *Server) exportLoop(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if res, err := s.Export(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Warn("scheduled export failed", "file", res.File, "err", err)
			} else if res.Requests > 0 {
				s.log.Info("scheduled export", "file", res.File, "requests", res.Requests)
			}
		}
	}
}
