package faults

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPickCountServiceProbability(t *testing.T) {
	s := NewSet(1)
	if _, err := s.Add(Fault{Kind: Status, Status: 503, Service: "CheckOutItem", Count: 2}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Pick("CheckInItem"); ok {
		t.Error("a CheckOutItem fault hit a CheckInItem")
	}
	for i := range 2 {
		f, ok := s.Pick("CheckOutItem")
		if !ok || f.Status != 503 || f.Applied != i+1 {
			t.Fatalf("hit %d: %+v %v", i+1, f, ok)
		}
	}
	if _, ok := s.Pick("CheckOutItem"); ok || len(s.List()) != 0 {
		t.Error("a count-2 fault hit a third time or was not retired")
	}

	s.Add(Fault{Kind: Reset, Probability: 0.25})
	hits := 0
	for range 4000 {
		if _, ok := s.Pick("X"); ok {
			hits++
		}
	}
	if hits < 800 || hits > 1200 {
		t.Errorf("probability 0.25 hit %d of 4000", hits)
	}
	// The same seed gives the same sequence, so a probabilistic run can be repeated.
	a, b := NewSet(7), NewSet(7)
	a.Add(Fault{Kind: Reset, Probability: 0.5})
	b.Add(Fault{Kind: Reset, Probability: 0.5})
	for i := range 100 {
		_, x := a.Pick("")
		_, y := b.Pick("")
		if x != y {
			t.Fatalf("draw %d differs between equal seeds", i)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{Kind: "explode"}, "want one of latency"},
		{Fault{Kind: Latency}, "latency must be positive"},
		{Fault{Kind: Status, Status: 42}, "not an HTTP status"},
		{Fault{Kind: Problem}, "problem_type is required"},
		{Fault{Kind: Reset, Probability: 2}, "not between 0 and 1"},
		{Fault{Kind: Reset, Count: -1}, "negative"},
	} {
		if err := tc.f.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.f, err, tc.want)
		}
	}
	var f Fault
	if err := json.Unmarshal([]byte(`{"kind":"latency","latency":"150ms"}`), &f); err != nil || time.Duration(f.Latency) != 150*time.Millisecond {
		t.Errorf("latency from JSON: %v %v", f.Latency, err)
	}
}

func TestCorrupt(t *testing.T) {
	reply := []byte(`<?xml version="1.0" encoding="UTF-8"?><NCIPMessage><X>ü</X></NCIPMessage>`)
	if got := Corrupt(WrongCharset, reply); !strings.Contains(string(got), `encoding="ISO-8859-1"`) || !strings.Contains(string(got), "ü") {
		t.Errorf("wrong-charset: %s", got)
	}
	if got := Corrupt(Malformed, reply); !strings.HasSuffix(string(got), "<</broken") {
		t.Errorf("malformed: %s", got)
	}
}
