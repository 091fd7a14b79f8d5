package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/annexlab/annex/formats/caiasoft"
)

// The inventory's read queries (the CaiaSoft-shaped item, list and search
// endpoints). Each reads through an index: inventoryMigration adds those
// the searches need, and TestReadQueriesUseIndexes holds the plans to them.

// inventoryMigration indexes what the read side searches: a trigram
// full-text index of title and author (external content, kept by
// triggers: SQLite's trigram tokenizer answers "contains" through the
// index for values of three characters or more), the call number's
// ASCII upper case for prefix searches, the exact identifiers, the OCLC
// number without its prefix and leading zeros, and the status (circstopout
// lists what is out). The text index holds only items with a title or an
// author, and is touched only when they change: an upsert that rewrites
// every column (PutItem) with the same title and author leaves it alone,
// and status changes never reach it.
const inventoryMigration = `CREATE VIRTUAL TABLE items_text USING fts5(title, author, content='items', content_rowid='rowid', tokenize='trigram');
	INSERT INTO items_text (rowid, title, author) SELECT rowid, title, author FROM items WHERE title <> '' OR author <> '';
	CREATE TRIGGER items_text_insert AFTER INSERT ON items WHEN new.title <> '' OR new.author <> '' BEGIN
		INSERT INTO items_text (rowid, title, author) VALUES (new.rowid, new.title, new.author);
	END;
	CREATE TRIGGER items_text_delete AFTER DELETE ON items WHEN old.title <> '' OR old.author <> '' BEGIN
		INSERT INTO items_text (items_text, rowid, title, author) VALUES ('delete', old.rowid, old.title, old.author);
	END;
	CREATE TRIGGER items_text_update AFTER UPDATE OF title, author ON items
		WHEN old.title <> new.title OR old.author <> new.author BEGIN
		INSERT INTO items_text (items_text, rowid, title, author)
			SELECT 'delete', old.rowid, old.title, old.author WHERE old.title <> '' OR old.author <> '';
		INSERT INTO items_text (rowid, title, author)
			SELECT new.rowid, new.title, new.author WHERE new.title <> '' OR new.author <> '';
	END;
	CREATE INDEX items_call_number ON items (upper(call_number)) WHERE call_number <> '';
	CREATE INDEX items_isbn ON items (isbn) WHERE isbn <> '';
	CREATE INDEX items_issn ON items (issn) WHERE issn <> '';
	CREATE INDEX items_lccn ON items (lccn) WHERE lccn <> '';
	CREATE INDEX items_oclc ON items (` + oclcExpr + `) WHERE ` + oclcExpr + ` <> '';
	CREATE INDEX items_out ON items (status) WHERE status IN ` + outStatuses + `;
	CREATE INDEX item_events_out ON item_events (barcode, id) WHERE kind IN ` + outKinds + `;`

// outKinds are the events that take an item out to a stop and
// outStatuses the statuses of an item out at a stop, as SQL lists of
// literals: a partial index is used only where the query's condition
// names the same values, and only these rows pay for the index. (Every
// index here is partial: an item without an ISBN costs the ISBN index
// nothing, and a status change costs the status index only when the item
// goes out or comes back.)
const (
	outKinds    = `('` + caiasoft.EventRetrieval + `', '` + caiasoft.EventSHPOut + `')`
	outStatuses = `('` + caiasoft.StatusOutPhysical + `', '` + caiasoft.StatusOutSHIP + `')`
)

// oclcExpr is an OCLC number without its prefix ((OCoLC), ocm, ocn, on)
// and leading zeros; the same expression indexes the column and reads
// the searched value, so the index answers the search.
const oclcExpr = `ltrim(oclc, '(OCoLC)ocmn 0')`

// ItemsByBarcode returns the items of the barcodes that exist (at most
// caiasoft.MaxBatch of them make one query), by barcode.
func (s *Store) ItemsByBarcode(ctx context.Context, barcodes []string) (map[string]Item, error) {
	items, err := byBarcode(ctx, s, `SELECT `+itemCols+` FROM items WHERE barcode IN (SELECT value FROM json_each(?))`, barcodes, scanItem,
		func(it Item) string { return it.Barcode })
	if err != nil {
		return nil, fmt.Errorf("items by barcode: %w", err)
	}
	return items, nil
}

// LatestRequests returns, for each barcode that has one, its item's
// profile's latest request for it.
func (s *Store) LatestRequests(ctx context.Context, barcodes []string) (map[string]Request, error) {
	reqs, err := byBarcode(ctx, s, `SELECT `+requestCols+` FROM (SELECT r.*, row_number() OVER (PARTITION BY r.barcode ORDER BY r.rowid DESC) AS n
		FROM requests r JOIN items i ON i.barcode = r.barcode AND i.profile = r.profile
		WHERE r.barcode IN (SELECT value FROM json_each(?))) WHERE n = 1`, barcodes, scanRequest,
		func(q Request) string { return q.Barcode })
	if err != nil {
		return nil, fmt.Errorf("latest requests: %w", err)
	}
	return reqs, nil
}

// EventQuery selects items by their events: those with an event of one
// of Kinds on a day from From to To (YYYYMMDD, both included), in
// Collection and Profile ("" for any).
type EventQuery struct {
	Kinds               []string
	From, To            string
	Collection, Profile string
	// Status, when set, keeps only items whose status now is Status;
	// NotStatus leaves out items whose status now is NotStatus. Items
	// deleted since (ALMA's DeleteItem) have no status and pass NotStatus.
	Status, NotStatus string
}

func (q EventQuery) where() (string, []any) {
	args := make([]any, 0, len(q.Kinds)+10)
	for _, k := range q.Kinds {
		args = append(args, k)
	}
	return `e.kind IN (` + placeholders(len(q.Kinds)) + `) AND e.day BETWEEN ? AND ? AND (? = '' OR e.collection = ?)
		AND (? = '' OR e.profile = ?) AND (? = '' OR i.status = ?) AND (? = '' OR i.status IS NULL OR i.status <> ?)`,
		append(args, q.From, q.To, q.Collection, q.Collection, q.Profile, q.Profile, q.Status, q.Status, q.NotStatus, q.NotStatus)
}

// EventBarcodes lists, by barcode, the items q selects.
func (s *Store) EventBarcodes(ctx context.Context, q EventQuery) ([]string, error) {
	where, args := q.where()
	out, err := listCached(ctx, s, `SELECT DISTINCT e.barcode FROM item_events e LEFT JOIN items i ON i.barcode = e.barcode
		WHERE `+where+` ORDER BY e.barcode`, args, scanString)
	if err != nil {
		return nil, fmt.Errorf("event barcodes: %w", err)
	}
	return out, nil
}

// EventItems lists, by barcode, the items q selects that are still in
// the inventory.
func (s *Store) EventItems(ctx context.Context, q EventQuery) ([]Item, error) {
	where, args := q.where()
	out, err := listCached(ctx, s, `SELECT `+prefixed("i.", itemCols)+` FROM items i WHERE i.barcode IN
		(SELECT e.barcode FROM item_events e LEFT JOIN items i ON i.barcode = e.barcode WHERE `+where+`) ORDER BY i.barcode`, args, scanItem)
	if err != nil {
		return nil, fmt.Errorf("event items: %w", err)
	}
	return out, nil
}

// BibQuery asks for the items of Profile and Collection ("" for any)
// whose Blank columns are all blank, accessioned on a day from From to To
// (YYYYMMDD; "" for any day).
type BibQuery struct {
	Profile, Collection, From, To string
	Blank                         []string
}

// BibMissing lists, by barcode, the items q selects.
func (s *Store) BibMissing(ctx context.Context, q BibQuery) ([]string, error) {
	var cond strings.Builder
	for _, f := range q.Blank {
		switch f {
		case "title", "author", "volume", "call_number", "isbn", "issn", "lccn", "oclc":
			fmt.Fprintf(&cond, " AND i.%s = ''", f)
		default:
			return nil, fmt.Errorf("bib missing: unknown field %q", f)
		}
	}
	args := []any{q.Profile, q.Profile, q.Collection, q.Collection}
	if q.From != "" {
		cond.WriteString(` AND i.barcode IN (SELECT barcode FROM item_events WHERE kind = ? AND day BETWEEN ? AND ?)`)
		args = append(args, caiasoft.EventAccession, q.From, q.To)
	}
	out, err := listCached(ctx, s, `SELECT i.barcode FROM items i WHERE (? = '' OR i.profile = ?) AND (? = '' OR i.collection = ?)`+
		cond.String()+` ORDER BY i.barcode`, args, scanString)
	if err != nil {
		return nil, fmt.Errorf("bib missing: %w", err)
	}
	return out, nil
}

// Search lists up to limit items of profile ("" for any) whose field
// matches value as sr says (see caiasoft.Match), in the order they entered
// the inventory, so a search stops at its limit instead of sorting every
// match.
func (s *Store) Search(ctx context.Context, profile string, sr caiasoft.Search, q caiasoft.SearchQuery, limit int) ([]Item, error) {
	query, args, err := searchQuery(profile, sr, q, limit)
	if err != nil {
		return nil, err
	}
	out, err := listCached(ctx, s, query, args, scanItem)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", sr.Endpoint, err)
	}
	return out, nil
}

// searchQuery is the statement of a search, each match through an index.
func searchQuery(profile string, sr caiasoft.Search, q caiasoft.SearchQuery, limit int) (string, []any, error) {
	var cond string
	var args []any
	from, order := `items`, `items.rowid`
	value := q.Value
	switch {
	case sr.Match == caiasoft.Contains && (sr.Field == "title" || sr.Field == "author"):
		if len([]rune(value)) >= 3 {
			// A trigram phrase matches where the field contains it, any
			// case. The text index drives the join, in rowid order, so the
			// search stops at its limit instead of collecting every match.
			from, order = `items_text JOIN items ON items.rowid = items_text.rowid`, `items_text.rowid`
			cond = `items_text MATCH ?`
			args = []any{sr.Field + ` : "` + strings.ReplaceAll(value, `"`, `""`) + `"`}
		} else {
			// Too short for a trigram: a scan, of at most the table.
			cond = `instr(lower(` + sr.Field + `), lower(?)) > 0`
			args = []any{value}
		}
	case sr.Match == caiasoft.Prefix && sr.Field == "call_number":
		lo := asciiUpper(value)
		cond, args = `call_number <> '' AND upper(call_number) >= ? AND upper(call_number) < ?`, []any{lo, lo + "\U0010FFFF"}
	case sr.Match == caiasoft.Exact && (sr.Field == "isbn" || sr.Field == "issn" || sr.Field == "lccn"):
		cond, args = sr.Field+` <> '' AND `+sr.Field+` = ?`, []any{value}
	case sr.Match == caiasoft.OCLCNumber && sr.Field == "oclc":
		cond, args = oclcExpr+` = ltrim(?, '(OCoLC)ocmn 0') AND `+oclcExpr+` <> ''`, []any{value}
	default:
		return "", nil, fmt.Errorf("search %s: no such search", sr.Endpoint)
	}
	args = append(args, q.Volume, q.Volume, q.Collection, q.Collection, profile, profile, limit)
	return `SELECT ` + prefixed("items.", itemCols) + ` FROM ` + from + ` WHERE ` + cond + ` AND (? = '' OR instr(lower(items.volume), lower(?)) > 0)
		AND (? = '' OR items.collection = ?) AND (? = '' OR items.profile = ?) ORDER BY ` + order + ` LIMIT ?`, args, nil
}

// OutItem is an item out of the facility with the retrieval that took it out.
type OutItem struct {
	Item
	// Retrieval is the event that took the item out (its stop, request and day).
	Retrieval Event
}

// ItemsOut lists the items out for a request delivered to a stop: out on
// physical retrieval or SH-I-P service, of profile and stop ("" for any),
// by stop and barcode.
func (s *Store) ItemsOut(ctx context.Context, profile, stop string) ([]OutItem, error) {
	out, err := listCached(ctx, s, itemsOutQuery, []any{profile, profile, stop, stop},
		func(r scanner) (OutItem, error) {
			var o OutItem
			var t string
			var err error
			o.Item, err = scanItem(extraScanner{r, []any{&o.Retrieval.ID, &o.Retrieval.Kind, &o.Retrieval.Stop, &o.Retrieval.RequestID,
				&o.Retrieval.Job, &o.Retrieval.Day, &t}})
			o.Retrieval.Time = parseStamp(t)
			o.Retrieval.Barcode = o.Barcode
			return o, err
		})
	if err != nil {
		return nil, fmt.Errorf("items out: %w", err)
	}
	return out, nil
}

// itemsOutQuery finds out items by status and each one's last out event
// through the partial index of out events.
var itemsOutQuery = `SELECT ` + prefixed("i.", itemCols) + `, e.id, e.kind, e.stop, e.request_id, e.job, e.day, e.time
	FROM items i JOIN item_events e ON e.id = (SELECT max(id) FROM item_events WHERE barcode = i.barcode AND kind IN ` + outKinds + `)
	WHERE i.status IN ` + outStatuses + ` AND (? = '' OR i.profile = ?) AND (? = '' OR e.stop = ?) ORDER BY e.stop, i.barcode`

// extraScanner reads columns after those its caller scans.
type extraScanner struct {
	scanner
	extra []any
}

func (s extraScanner) Scan(dest ...any) error { return s.scanner.Scan(append(dest, s.extra...)...) }

// listCached is list through the statement cache.
func listCached[T any](ctx context.Context, s *Store, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanString(r scanner) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}

// byBarcode runs query, whose one parameter is barcodes as a JSON list for
// json_each (one statement for any batch), and keys the rows it scans by
// their barcode.
func byBarcode[T any](ctx context.Context, s *Store, query string, barcodes []string, scan func(scanner) (T, error), barcode func(T) string) (map[string]T, error) {
	if barcodes == nil {
		barcodes = []string{}
	}
	list, err := json.Marshal(barcodes)
	if err != nil {
		return nil, fmt.Errorf("encode barcodes: %w", err)
	}
	rows, err := listCached(ctx, s, query, []any{string(list)}, scan)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(rows))
	for _, r := range rows {
		out[barcode(r)] = r
	}
	return out, nil
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// asciiUpper upper-cases ASCII letters only, as SQLite's upper() does,
// so a prefix computed here matches the indexed upper(call_number).
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
