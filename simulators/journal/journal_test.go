package journal

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/annexlab/annex/ncip"
)

func TestJournalBoundedAndOrdered(t *testing.T) {
	j := New(3)
	for i := range 5 {
		j.Add(Exchange{Service: string(rune('a' + i))})
	}
	all := j.All()
	if len(all) != 3 || all[0].ID != 3 || all[2].ID != 5 || all[2].Service != "e" {
		t.Fatalf("kept %+v", all)
	}
	if s := j.Since(4); len(s) != 1 || s[0].ID != 5 {
		t.Errorf("Since(4) = %+v", s)
	}
	j.Reset()
	if got := j.Add(Exchange{}); got.ID != 6 || len(j.All()) != 1 {
		t.Errorf("after reset: id %d, %d kept", got.ID, len(j.All()))
	}
}

// Wait wakes on the exchange it waits for, from another goroutine, without polling.
func TestJournalWait(t *testing.T) {
	j := New(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		j.Add(Exchange{Service: "CheckInItem"})
		j.Add(Exchange{Service: "CheckOutItem"})
	}()
	got, err := j.Wait(ctx, func(es []Exchange) bool {
		for _, e := range es {
			if e.Service == "CheckOutItem" {
				return true
			}
		}
		return false
	})
	if err != nil || len(got) < 2 {
		t.Fatalf("wait: %v %+v", err, got)
	}
	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := j.Wait(short, func([]Exchange) bool { return false }); err == nil {
		t.Error("Wait on a cancelled context returned no error")
	}
}

func TestRawJSON(t *testing.T) {
	for _, raw := range []Raw{Raw("<a>ü</a>"), Raw{'<', 'a', '>', 0xFC, '<', '/', 'a', '>'}} {
		b, err := json.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		var back Raw
		if err := json.Unmarshal(b, &back); err != nil || string(back) != string(raw) {
			t.Errorf("%s: round trip gave %q, %v", b, back, err)
		}
	}
	if b, _ := json.Marshal(Raw("<x/>")); string(b) != `"\u003cx/\u003e"` {
		t.Errorf("valid UTF-8 not written as a string: %s", b)
	}
}

// A deferred check runs once, when the exchange is first read, and its
// findings join those set when it was added.
func TestCheckLater(t *testing.T) {
	j := New(0)
	runs := 0
	e := Exchange{Service: "CheckOutItem", Findings: []ncip.Finding{{Rule: "decode.ignored", Message: "x"}}}
	e.CheckLater(func() []ncip.Finding {
		runs++
		return []ncip.Finding{{Rule: "v2.content", Message: "y"}}
	})
	j.Add(e)
	for range 3 {
		got := j.All()
		if len(got[0].Findings) != 2 || got[0].Findings[1].Rule != "v2.content" {
			t.Fatalf("findings = %+v", got[0].Findings)
		}
	}
	if s := j.Since(0); len(s[0].Findings) != 2 || runs != 1 {
		t.Errorf("since: %+v, check ran %d times", s, runs)
	}
}

// TestLastID: the newest exchange's ID, counted on across trimming and
// Reset, so Since(LastID()) returns exactly what is added afterwards; and
// reading it runs no deferred check.
func TestLastID(t *testing.T) {
	j := New(2)
	if got := j.LastID(); got != 0 {
		t.Fatalf("empty journal: LastID %d, want 0", got)
	}
	checked := 0
	for range 3 {
		e := Exchange{Service: "CheckOutItem"}
		e.CheckLater(func() []ncip.Finding { checked++; return nil })
		j.Add(e)
	}
	if got := j.LastID(); got != 3 {
		t.Errorf("after 3 adds to a journal keeping 2: LastID %d, want 3", got)
	}
	if checked != 0 {
		t.Errorf("LastID ran %d deferred checks", checked)
	}
	j.Reset()
	mark := j.LastID()
	j.Add(Exchange{Service: "CheckInItem"})
	if got := j.Since(mark); len(got) != 1 || got[0].Service != "CheckInItem" || got[0].ID != 4 {
		t.Errorf("Since(LastID()) after Reset: %+v, want the one CheckInItem with ID 4", got)
	}
}
