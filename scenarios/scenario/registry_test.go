package scenario

import "testing"

// TestClosestKindIsStable: a misspelt step kind equally near two kinds
// gets the same suggestion on every run (the first in sorted order), not
// whichever the registry's map yields first.
func TestClosestKindIsStable(t *testing.T) {
	r := NewRegistry()
	for _, name := range []string{"expect.alma.item", "expect.aleph.item", "expect.alxa.item"} {
		if err := r.Register(Kind{Name: name, New: func() Action { return nil }}); err != nil {
			t.Fatal(err)
		}
	}
	// "expect.alqa.item" is one edit from expect.alma.item and from
	// expect.alxa.item.
	for range 64 {
		if got := r.closest("expect.alqa.item"); got != "expect.alma.item" {
			t.Fatalf("closest = %q, want expect.alma.item", got)
		}
	}
	if got := r.closest("nothing.like.it"); got != "" {
		t.Errorf("closest of an unrelated name = %q, want none", got)
	}
}
