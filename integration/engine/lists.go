package engine

import (
	"context"

	"github.com/annexlab/annex/integration/store"
)

// The pages of the REST API's list endpoints (api.Backend): each reads at
// most limit rows after a cursor, so a listing's memory is its page's.

// AlertsPage lists up to limit alerts with an id greater than after, oldest first.
func (e *Engine) AlertsPage(ctx context.Context, after int64, limit int) ([]Alert, error) {
	return e.store.AlertsAfter(ctx, after, limit)
}

// RequestsPage lists up to limit requests that arrived after the one
// numbered after (its Seq), in arrival order.
func (e *Engine) RequestsPage(ctx context.Context, after int64, limit int) ([]store.SeqRequest, error) {
	return e.store.RequestsAfter(ctx, after, limit)
}
