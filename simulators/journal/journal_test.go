package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

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

// The accounted size never exceeds the byte bound, however many large
// exchanges arrive, and the newest are the ones kept.
func TestJournalBytesBounded(t *testing.T) {
	j := NewLimited(Limits{MaxBytes: 1 << 20, MaxBody: 100 << 10})
	big := bytes.Repeat([]byte("x"), 300<<10)
	for i := range 200 {
		j.Add(Exchange{Request: big, Response: big[:50<<10], RequestHeaders: map[string][]string{"Content-Type": {"text/xml"}}})
		if b := j.Bytes(); b > 1<<20 {
			t.Fatalf("after %d exchanges the journal holds %d bytes, over its 1 MiB bound", i+1, b)
		}
	}
	all := j.All()
	if len(all) == 0 || all[len(all)-1].ID != 200 {
		t.Fatalf("the newest exchange is not kept: %d kept", len(all))
	}
	var sum int64
	for i := range all {
		sum += cost(&all[i])
	}
	if sum != j.Bytes() {
		t.Errorf("accounted %d bytes, the kept exchanges cost %d", j.Bytes(), sum)
	}
	t.Logf("%d of 200 exchanges kept in %d accounted bytes", len(all), j.Bytes())
}

// A body over the body cap keeps its start, its size and its SHA-256; the
// caller's buffer is not kept; a deferred check runs at once.
func TestJournalTruncatedBody(t *testing.T) {
	j := NewLimited(Limits{MaxBody: 10})
	body := []byte("<a>ééééééé</a>") // 21 bytes; byte 10 is inside an é
	ex := Exchange{Request: body, Response: []byte("short")}
	checked := 0
	ex.CheckLater(func() []ncip.Finding { checked++; return []ncip.Finding{{Rule: "r", Message: "m"}} })
	got := j.Add(ex)
	if checked != 1 || len(got.Findings) != 1 {
		t.Errorf("the check of a cut exchange ran %d times, findings %v", checked, got.Findings)
	}
	sum := sha256.Sum256(body)
	if tr := got.RequestTruncated; tr == nil || tr.Size != len(body) || tr.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("request_truncated = %+v", got.RequestTruncated)
	}
	if string(got.Request) != "<a>éééé"[:9] || !utf8.Valid(got.Request) {
		t.Errorf("kept %q, want the start cut at a character boundary", got.Request)
	}
	if &got.Request[0] == &body[0] {
		t.Error("the journal keeps the caller's buffer")
	}
	if got.ResponseTruncated != nil || string(got.Response) != "short" {
		t.Errorf("a short response was cut: %+v", got)
	}
	b, _ := json.Marshal(got)
	if !bytes.Contains(b, []byte(`"request_truncated":{"size":21,"sha256":"`+hex.EncodeToString(sum[:])+`"}`)) {
		t.Errorf("JSON lacks the size and hash: %s", b)
	}
}

// Paging walks every exchange exactly once, filtered or not, and stops
// saying "more" on the last page.
func TestJournalPageWalk(t *testing.T) {
	j := New(0)
	for i := range 25 {
		j.Add(Exchange{Service: []string{"CheckInItem", "CheckOutItem"}[i%2]})
	}
	for _, tc := range []struct {
		keep func(*Exchange) bool
		want int
	}{{nil, 25}, {func(e *Exchange) bool { return e.Service == "CheckOutItem" }, 12}} {
		seen := map[int64]int{}
		after, pages := int64(0), 0
		for {
			page, more := j.Page(after, 4, tc.keep)
			pages++
			for _, e := range page {
				seen[e.ID]++
				after = e.ID
			}
			if !more {
				break
			}
			if len(page) != 4 {
				t.Fatalf("a page before the last has %d exchanges", len(page))
			}
		}
		if len(seen) != tc.want || pages != (tc.want+3)/4 {
			t.Errorf("walked %d exchanges in %d pages, want %d", len(seen), pages, tc.want)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("exchange %d seen %d times", id, n)
			}
		}
	}
}

// TestJournalMemoryFlat: 500 request bodies of 1 MB (each a fresh buffer,
// as a handler's ReadAll makes) leave the heap bounded by the journal's
// bounds, not by what was sent (500 MB): with the defaults every exchange
// is kept cut to 64 KiB; with an 8 MiB bound the heap stops at the bound.
// Not timed; the numbers are logged.
func TestJournalMemoryFlat(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for _, lim := range []Limits{{}, {MaxBytes: 8 << 20}} {
		base := heap()
		j := NewLimited(lim)
		lim = j.Limits()
		var at100 uint64
		for i := range 500 {
			body := bytes.Repeat([]byte{'a' + byte(i%26)}, 1_000_000)
			j.Add(Exchange{Request: body, Response: []byte("<NCIPMessage/>")})
			if i == 99 {
				at100 = heap()
			}
		}
		at500 := heap()
		grew := func(h uint64) float64 { return mib(max(h, base) - base) }
		t.Logf("bound %d MiB: heap above baseline %.1f MiB after 100, %.1f MiB after 500 exchanges of 1 MB (%d kept, %.1f MiB accounted)",
			lim.MaxBytes>>20, grew(at100), grew(at500), len(j.All()), mib(uint64(j.Bytes())))
		if grew(at500) > mib(uint64(lim.MaxBytes))*1.25+4 {
			t.Errorf("bound %d MiB: heap grew %.1f MiB", lim.MaxBytes>>20, grew(at500))
		}
		runtime.KeepAlive(j)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// A cut exchange's texts are copied: a service or finding cut out of a
// string made from the whole body would otherwise keep the body alive.
func TestJournalTruncatedDetached(t *testing.T) {
	whole := strings.Repeat("x", 1<<20)
	j := New(0)
	got := j.Add(Exchange{Request: Raw(whole), Service: whole[:12], Findings: []ncip.Finding{{Path: whole[5:9]}}, Problems: []string{whole[:3]}})
	inWhole := func(s string) bool {
		p, start := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(whole)))
		return p >= start && p < start+uintptr(len(whole))
	}
	if inWhole(got.Service) || inWhole(got.Findings[0].Path) || inWhole(got.Problems[0]) {
		t.Error("a cut exchange still points into the whole body")
	}
}

// The journal numbers a miss with its exchange and writes its text, before
// any note of the simulator's (issue 14 point 5).
func TestMissText(t *testing.T) {
	j := New(0)
	j.Add(Exchange{})
	e := j.Add(Exchange{Miss: &Miss{Field: "ToAgencyId", Got: "x", Want: "Y", Hint: "h"}, ClosestMiss: "a note"})
	if e.Miss.Exchange != 2 || e.ClosestMiss != `ToAgencyId: got "x", want "Y" (h); a note` {
		t.Errorf("miss %+v text %q", e.Miss, e.ClosestMiss)
	}
	if m := (Miss{Field: "ItemId", Got: "1", Hint: "no open request"}); m.String() != `ItemId: got "1" (no open request)` || m.Expected() != "no open request" {
		t.Errorf("without want: %q / %q", m.String(), m.Expected())
	}
	if e := j.Add(Exchange{ClosestMiss: "only a note"}); e.Miss != nil || e.ClosestMiss != "only a note" {
		t.Errorf("note alone: %+v %q", e.Miss, e.ClosestMiss)
	}
}
