package requestfile

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/annexlab/annex/integration/profile"
)

// slipDoc writes one printout of the given form: each section is a list
// of "name=value" fields, "" skipping a section; section02 may repeat.
func slipDoc(form string, section01 []string, section02 [][]string, section03 []string) []byte {
	var b strings.Builder
	b.WriteString("## - XML_XSL\n<?xml version=\"1.0\"?>\n<printout>\n<form-name>" + form + "</form-name>\n")
	sec := func(name string, fields []string) {
		b.WriteString("<" + name + ">\n")
		for _, f := range fields {
			k, v, _ := strings.Cut(f, "=")
			b.WriteString("<" + k + ">" + v + "</" + k + ">\n")
		}
		b.WriteString("</" + name + ">\n")
	}
	if section01 != nil {
		sec("section-01", section01)
	}
	for _, it := range section02 {
		sec("section-02", it)
	}
	if section03 != nil {
		sec("section-03", section03)
	}
	b.WriteString("</printout>\n")
	return []byte(b.String())
}

func parseSlip(t *testing.T, doc []byte) result {
	t.Helper()
	res := parseBytes(t, profile.FormatALEPHPrint, "slip.xml", doc, Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	return res
}

func oneRequest(t *testing.T, doc []byte) Request {
	t.Helper()
	res := parseSlip(t, doc)
	if len(res.errs) != 0 || len(res.reqs) != 1 {
		t.Fatalf("want one request, got %+v and errors %+v", res.reqs, res.errs)
	}
	return res.reqs[0]
}

// hold22 is an ALEPH 22 hold slip: everything in section-01.
func hold22(extra ...string) []byte {
	return slipDoc(formHold, append([]string{"z37-request-number=000000101", "z30-barcode=000000001",
		"z30-sub-library=Main Library", "z37-pickup-location=Main Library Circulation Desk", "z302-id=P1"}, extra...), nil, nil)
}

// photoSlip is a photo-request-slip with the given items (barcode=loan-exists).
func photoSlip(items ...string) []byte {
	var sec2 [][]string
	for _, it := range items {
		b, loan, _ := strings.Cut(it, "=")
		sec2 = append(sec2, []string{"z30-barcode=" + b, "z30-sub-library=Science Library", "loan-exists=" + loan})
	}
	return slipDoc(formPhoto, []string{"z13-title=Journal", "z13-isbn-issn=0021-9606"}, sec2,
		[]string{"z302-id=P4", "z302-address-0=Dvořák, Antonín", "z38-number=000000201", "z38-pages=1-9",
			"z38-pickup-location=SCI", "z38-filter-sub-library=SCI"})
}

func TestParseALEPHWorkingDay(t *testing.T) {
	const path = "../../fixtures/requests/aleph-working-day.xml"
	res := parseBytes(t, profile.FormatALEPHPrint, "aleph-working-day.xml", readGolden(t, path), Options{})
	if res.err != nil || len(res.errs) != 0 {
		t.Fatalf("err %v, record errors %+v", res.err, res.errs)
	}
	if got, want := ids(res.reqs), []string{"000000101", "000000103", "000000201", "000000104", "000000202", "000000105"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ids = %v, want %v", got, want)
	}
	for _, r := range res.reqs {
		if len(r.Unknown) != 0 {
			t.Errorf("request %s lists unknown elements %v", r.ID, r.Unknown)
		}
	}
	first := res.reqs[0]
	want := Request{Line: 3, ID: "000000101", Type: "hold", Barcode: "000000001", Pickup: "Main Library Circulation Desk",
		Library: "MAIN", SubLibraryName: "Main Library", Location: "Remote storage", MaterialType: "BOOK",
		Title: "The Go programming language", Author: "Donovan, Alan A. A.", ISBN: "9780134190440",
		CallNumber: "QA76.73.G63 D66 2015", RequestDate: "20250314", PatronID: "P0001",
		PatronName: "Müller-Lüdenscheidt, Jürgen", PatronEmail: "j.mueller@example.org", PatronPhone: "+49 761 555 0101",
		PatronAddress: "Gartenstraße 12, 79098 Freiburg", Note: "Für Seminar Mo.",
		Extra: []Field{
			{"bib-info", "Donovan, Alan A. A. The Go programming language / Alan A. A. Donovan, Brian W. Kernighan. 2015"},
			{"z37-request-date", "20250314"}, {"z37-end-request-date", "20250613"},
			{"z37-filter-collection", "ANNEX"}, {"z52-seq-number", "000000041"}}}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("ALEPH 22 hold slip:\n got %+v\nwant %+v", first, want)
	}
	photo := res.reqs[2]
	if photo.Barcode != "000000002" || !photo.Digitization || photo.Type != "photocopy" || photo.Pickup != "SCI" ||
		photo.Library != "SCI" || photo.SubLibraryName != "Science Library" || photo.Pages != "2731-2745" ||
		photo.Title != "Journal of chemical physics" || photo.Author != "Nováková, Eliška" || photo.ISBN != "0021-9606" ||
		photo.PatronName != "Dvořák, Antonín" || photo.PatronEmail != "a.dvorak@example.cz" || photo.Note != "PDF an E-Mail" ||
		photo.OnLoan || len(photo.Warnings) != 1 {
		t.Errorf("photocopy slip = %+v", photo)
	}
	if !slices.Contains(photo.Extra, Field{"z38-title", "Vibrational spectra of small clusters"}) {
		t.Errorf("the article title must land in Extra: %+v", photo.Extra)
	}
	older := res.reqs[3]
	if older.Barcode != "000000006" || older.Library != "MAIN" || older.SubLibraryName != "Main Library" ||
		older.Description != "t.1" || older.PatronName != "Łukasiewicz, Zofia" || older.Title != "Élements de géométrie algébrique" {
		t.Errorf("older layout = %+v", older)
	}
	if last := res.reqs[5]; last.Title != "Peanuts treasury / Charles M. Schulz. 2000" || last.RequestDate != "20250314" {
		t.Errorf("bib-info stands in for a missing z13-title: %+v", last)
	}
}

func TestParseALEPHPhotoRequestSlip(t *testing.T) {
	r := oneRequest(t, photoSlip("000000002=N"))
	want := Request{Line: 3, ID: "000000201", Type: "photocopy", Digitization: true, Barcode: "000000002",
		Pickup: "SCI", Library: "SCI", SubLibraryName: "Science Library", Title: "Journal", ISBN: "0021-9606",
		PatronID: "P4", PatronName: "Dvořák, Antonín", Pages: "1-9"}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("\n got %+v\nwant %+v", r, want)
	}
}

func TestParseALEPHPhotoPicksFirstItemNotOnLoan(t *testing.T) {
	cases := []struct {
		name   string
		items  []string
		want   string
		onLoan bool
		warn   string
	}{
		{"first on loan", []string{"B1=Y", "B2=N", "B3=N"}, "B2", false, "3 items (B1 on loan, B2, B3): took the first not on loan"},
		{"first free", []string{"B1=N", "B2=Y"}, "B1", false, "took the first not on loan"},
		{"all on loan", []string{"B1=Y", "B2=Y"}, "B1", true, "none is free, so the first"},
		{"lower case", []string{"B1=y", "B2=n"}, "B2", false, "took the first not on loan"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := oneRequest(t, photoSlip(c.items...))
			if r.Barcode != c.want || r.OnLoan != c.onLoan || r.ID != "000000201" {
				t.Errorf("picked %s (on loan %v), want %s (%v)", r.Barcode, r.OnLoan, c.want, c.onLoan)
			}
			if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], c.warn) {
				t.Errorf("warnings %q, want one containing %q", r.Warnings, c.warn)
			}
		})
	}
}

func TestParseALEPHHold22(t *testing.T) {
	r := oneRequest(t, hold22("z37-filter-sub-library=MAIN", "z30-collection=Remote storage", "z30-call-no=QA1",
		"z30-description=v.2", "z13-isbn-issn=9780134190440", "z37-open-date=20250314", "z37-note-1=a", "z37-note-2=b"))
	want := Request{Line: 3, ID: "000000101", Type: "hold", Barcode: "000000001", Pickup: "Main Library Circulation Desk",
		Library: "MAIN", SubLibraryName: "Main Library", Location: "Remote storage", CallNumber: "QA1", Description: "v.2",
		ISBN: "9780134190440", RequestDate: "20250314", PatronID: "P1", Note: "a; b"}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("\n got %+v\nwant %+v", r, want)
	}
}

func TestParseALEPHSubLibraryCodeBeforeName(t *testing.T) {
	t.Run("code printed", func(t *testing.T) {
		r := oneRequest(t, hold22("z37-filter-sub-library=MAIN"))
		if r.Library != "MAIN" || r.SubLibraryName != "Main Library" || len(r.Warnings) != 0 {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("photocopy code", func(t *testing.T) {
		if r := oneRequest(t, photoSlip("B1=N")); r.Library != "SCI" || r.SubLibraryName != "Science Library" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("no code", func(t *testing.T) {
		r := oneRequest(t, hold22())
		if r.Library != "Main Library" || r.SubLibraryName != "Main Library" {
			t.Errorf("the name stands in for the code: %+v", r)
		}
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "z37-filter-sub-library") {
			t.Errorf("warnings %q", r.Warnings)
		}
	})
}

func TestParseALEPHPatronFields(t *testing.T) {
	r := oneRequest(t, hold22("z302-address-0=Ødegård, Siri", "z302-address-1=Postboks 1080", "z302-address-3=0316 Oslo",
		"z302-address-4=Norge", "z302-email-address=siri@example.no", "z304-email-address=old@example.no", "z302-telephone=+47 1"))
	if r.PatronName != "Ødegård, Siri" || r.PatronAddress != "Postboks 1080, 0316 Oslo, Norge" ||
		r.PatronEmail != "siri@example.no" || r.PatronPhone != "+47 1" {
		t.Errorf("got %+v", r)
	}
	if !reflect.DeepEqual(r.Extra, []Field{{"z304-email-address", "old@example.no"}}) {
		t.Errorf("the second address stays in Extra: %+v", r.Extra)
	}
	if r := oneRequest(t, hold22("z304-email-address=old@example.no")); r.PatronEmail != "old@example.no" {
		t.Errorf("z304-email-address is the fallback: %+v", r)
	}
}

func TestParseALEPHTitleSources(t *testing.T) {
	cases := []struct {
		fields []string
		title  string
	}{
		{[]string{"z13-title=T13", "bib-info=Bib", "z38-title=T38"}, "T13"},
		{[]string{"bib-info=Bib", "z38-title=T38"}, "Bib"},
		{[]string{"z38-title=T38"}, "T38"},
	}
	for _, c := range cases {
		if r := oneRequest(t, hold22(c.fields...)); r.Title != c.title {
			t.Errorf("%v: title %q, want %q", c.fields, r.Title, c.title)
		}
	}
	r := oneRequest(t, hold22("z13-author=A13", "z38-author=A38"))
	if r.Author != "A13" || !slices.Contains(r.Extra, Field{"z38-author", "A38"}) {
		t.Errorf("author: %+v", r)
	}
}

func TestParseALEPHUnknownAndExtra(t *testing.T) {
	doc := slipDoc(formHold, []string{"z37-request-number=1", "z30-barcode=B1", "z30-item-status=01", "shelf-mark=X"}, nil, nil)
	doc = []byte(strings.Replace(string(doc), "</printout>", "<routing-slip>x</routing-slip>\n</printout>", 1))
	r := oneRequest(t, doc)
	if !reflect.DeepEqual(r.Unknown, []string{"section-01/shelf-mark", "routing-slip"}) {
		t.Errorf("unknown = %v", r.Unknown)
	}
	if !reflect.DeepEqual(r.Extra, []Field{{"z30-item-status", "01"}}) {
		t.Errorf("extra = %+v", r.Extra)
	}
}

func TestParseALEPHOlderLayoutOneRequestPerItem(t *testing.T) {
	doc := slipDoc(formHold, []string{"z37-request-number=7", "z37-filter-sub-library=MAIN", "z302-id=P1"},
		[][]string{{"z30-barcode=B1", "z30-sub-library=Main Library", "loan-exists=N"},
			{"z30-barcode=B2", "z30-sub-library=Science Library", "loan-exists=Y"}}, nil)
	res := parseSlip(t, doc)
	if len(res.reqs) != 2 || len(res.errs) != 0 {
		t.Fatalf("%+v %+v", res.reqs, res.errs)
	}
	for i, want := range []struct {
		barcode, name string
		loan          bool
	}{{"B1", "Main Library", false}, {"B2", "Science Library", true}} {
		r := res.reqs[i]
		if r.ID != "7" || r.Barcode != want.barcode || r.Library != "MAIN" || r.SubLibraryName != want.name || r.OnLoan != want.loan || r.Digitization {
			t.Errorf("request %d = %+v", i, r)
		}
	}
}

func TestParseALEPHSlipErrors(t *testing.T) {
	cases := []struct {
		name, field string
		doc         []byte
	}{
		{"photocopy without z38-number", "z38-number", slipDoc(formPhoto, []string{"z13-title=T"}, [][]string{{"z30-barcode=B1"}}, []string{"z302-id=P"})},
		{"hold without request number", "z37-request-number", slipDoc(formHold, []string{"z30-barcode=B1"}, nil, nil)},
		{"bad date", "z37-request-date", slipDoc(formHold, []string{"z37-request-number=1", "z37-request-date=20251301"}, nil, nil)},
		{"other form", "form-name", slipDoc("overdue-letter", []string{"z37-request-number=1"}, nil, nil)},
		{"repeated", "z38-pages", slipDoc(formPhoto, nil, nil, []string{"z38-number=1", "z38-pages=1", "z38-pages=2"})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := parseSlip(t, c.doc)
			if len(res.reqs) != 0 || len(res.errs) != 1 {
				t.Fatalf("want one record error, got %+v %+v", res.reqs, res.errs)
			}
			if e := res.errs[0]; e.Field != c.field || e.Line != 3 || e.File != "slip.xml" {
				t.Errorf("error %+v, want slip.xml:3 field %s", e, c.field)
			}
		})
	}
}
