package paging

import (
	"net/url"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  Page
		err   string
	}{
		{"", Page{Limit: DefaultLimit}, ""},
		{"limit=5&after=12", Page{After: 12, Limit: 5}, ""},
		{"limit=10000", Page{Limit: MaxLimit}, ""},
		{"service=CheckOutItem", Page{Limit: DefaultLimit}, ""},
		{"limit=0", Page{}, "from 1 to 10000"},
		{"limit=10001", Page{}, "from 1 to 10000"},
		{"limit=x", Page{}, "from 1 to 10000"},
		{"after=-1", Page{}, "last row"},
		{"limt=5", Page{}, `unknown query parameter "limt" (did you mean limit?)`},
		{"zzzzzzzz=1", Page{}, "the parameters here are limit, after, service"},
		{"limit=1&limit=2", Page{}, "given 2 times"},
	} {
		q, _ := url.ParseQuery(tc.query)
		got, err := Parse(q, "service")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.query, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.query, got, err, tc.want)
		}
	}
}

func TestNext(t *testing.T) {
	u, _ := url.Parse("/_sim/journal?service=CheckOutItem&after=3")
	if got := (Page{After: 3, Limit: 2}).Next(u, 7); got != "/_sim/journal?after=7&limit=2&service=CheckOutItem" {
		t.Fatal(got)
	}
}
