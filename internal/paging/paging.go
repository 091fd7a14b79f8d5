// Package paging reads the query of annex's own list endpoints (the
// engine's /api/requests/v1, /api/alerts/v1, /api/outbox/v1 and every
// simulator's /_sim/journal): limit and after, and nothing it does not know,
// so a listing's memory is bounded by its page, not its history.
package paging

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/annexlab/annex/internal/suggest"
)

// Page sizes.
const (
	// DefaultLimit is a page's size when the query gives no limit.
	DefaultLimit = 1000
	// MaxLimit is the largest limit a query may ask for.
	MaxLimit = 10000
)

// Page asks for the rows whose key is greater than After (0: from the
// first), at most Limit of them.
type Page struct {
	After int64
	Limit int
}

// Parse reads limit and after from q. Any other parameter must be one of
// extra; an unknown one is an error naming the closest known parameter
// (annex's own APIs refuse what they do not understand, docs/design.md).
func Parse(q url.Values, extra ...string) (Page, error) {
	known := append([]string{"limit", "after"}, extra...)
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(known, k) {
			msg := fmt.Sprintf("unknown query parameter %q", k)
			if s := suggest.Closest(k, known); s != "" {
				return Page{}, fmt.Errorf("%s (did you mean %s?)", msg, s)
			}
			return Page{}, fmt.Errorf("%s; the parameters here are %s", msg, strings.Join(known, ", "))
		}
		if len(q[k]) > 1 {
			return Page{}, fmt.Errorf("query parameter %q is given %d times; give it once", k, len(q[k]))
		}
	}
	p := Page{Limit: DefaultLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return Page{}, fmt.Errorf("limit=%q: want a whole number from 1 to %d", s, MaxLimit)
		}
		p.Limit = n
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return Page{}, errors.New("after=" + strconv.Quote(s) + ": want the key of the last row of the previous page (from next)")
		}
		p.After = n
	}
	return p, nil
}

// Next is the path and query of the page after one that ended at key
// last: u's own query (filters kept) with after set to last and this
// page's limit.
func (p Page) Next(u *url.URL, last int64) string {
	q := u.Query()
	q.Set("after", strconv.FormatInt(last, 10))
	q.Set("limit", strconv.Itoa(p.Limit))
	return u.Path + "?" + q.Encode()
}
