package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/annexlab/annex/formats/caiasoft"
)

// TestSearchIndexFollowsItems: the trigram index of titles and authors
// follows the items through inserts, upserts, title changes, clearing,
// status changes and deletes: FTS5's integrity check passes after each
// step (the index holds only items with a title or author, so the check of
// the index alone), and the searches find exactly the items whose text
// matches now.
func TestSearchIndexFollowsItems(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	put := func(it Item) {
		t.Helper()
		it.Profile, it.Status, it.Updated = "p", caiasoft.StatusAtRest, now
		if err := s.Tx(ctx, func(tx *Tx) error { return tx.PutItem(it) }); err != nil {
			t.Fatal(err)
		}
	}
	title := caiasoft.Search{Endpoint: "union_title", Field: "title", Match: caiasoft.Contains}
	author := caiasoft.Search{Endpoint: "union_author", Field: "author", Match: caiasoft.Contains}
	check := func(sr caiasoft.Search, value string, want ...string) {
		t.Helper()
		var integrity string
		if err := s.db.QueryRowContext(ctx, `INSERT INTO items_text (items_text, rank) VALUES ('integrity-check', 0) RETURNING 'ok'`).Scan(&integrity); err != nil {
			t.Fatalf("index integrity: %v", err)
		}
		items, err := s.Search(ctx, "", sr, caiasoft.SearchQuery{Value: value}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Barcode)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s %q: %v, want %v", sr.Endpoint, value, got, want)
		}
	}
	put(Item{Barcode: "1", Title: "Moby Dick", Author: "Melville, Herman"})
	put(Item{Barcode: "2"}) // nothing to index
	put(Item{Barcode: "3", Title: "Dick Whittington"})
	check(title, "dick", "1", "3")
	put(Item{Barcode: "1", Title: "Moby Dick", Author: "Melville, Herman", Tray: "T1"}) // same text, other columns
	put(Item{Barcode: "2", Title: "Bartleby", Author: "Melville, H."})                  // indexed now
	check(author, "melville", "1", "2")
	put(Item{Barcode: "3"}) // cleared
	check(title, "dick", "1")
	if err := s.Tx(ctx, func(tx *Tx) error { return tx.SetItemStatus("1", caiasoft.StatusOutPhysical, now) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Tx(ctx, func(tx *Tx) error { _, err := tx.DeleteItem("2"); return err }); err != nil {
		t.Fatal(err)
	}
	check(author, "melville", "1")
	check(title, "by", "1") // two characters: a scan, not the index
}

// TestReadQueriesUseIndexes: every search but the two-character one, the
// date-range lists and circstopout find their rows through an index, so
// their cost follows what they find, not the inventory's size; the text
// searches read their matches in order and stop at the limit.
func TestReadQueriesUseIndexes(t *testing.T) {
	s := openTemp(t)
	type stmt struct {
		name  string
		query string
		args  []any
	}
	var stmts []stmt
	for _, sr := range caiasoft.Searches {
		q, args, err := searchQuery("", sr, caiasoft.SearchQuery{Value: "history"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, stmt{sr.Endpoint, q, args})
	}
	where, args := EventQuery{Kinds: []string{caiasoft.EventRetrieval}, From: "20250101", To: "20250131"}.where()
	stmts = append(stmts, stmt{"date list", `SELECT DISTINCT e.barcode FROM item_events e LEFT JOIN items i ON i.barcode = e.barcode WHERE ` + where, args},
		stmt{"circstopout", itemsOutQuery, []any{"", "", "", ""}})
	for _, st := range stmts {
		rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+st.query, st.args...)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if st.name == "circstopout" && !strings.Contains(strings.Join(plan, "; "), "items_out") ||
			st.name == "circstopout" && !strings.Contains(strings.Join(plan, "; "), "item_events_out") {
			t.Errorf("circstopout does not find the out events through their index: %s", strings.Join(plan, "; "))
		}
		if (st.name == "union_title" || st.name == "union_author") && strings.Contains(strings.Join(plan, "; "), "TEMP B-TREE") {
			t.Errorf("%s sorts every match instead of stopping at its limit: %s", st.name, strings.Join(plan, "; "))
		}
		for _, p := range plan {
			// A SCAN reads a whole table or index; the text index's MATCH is a search.
			if strings.HasPrefix(p, "SCAN ") && !strings.Contains(p, "VIRTUAL TABLE INDEX") {
				t.Errorf("%s scans a table: %s", st.name, strings.Join(plan, "; "))
			}
		}
	}
}
