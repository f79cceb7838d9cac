package order

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/admin"
)

// Event wraps an order read through the Admin API (a backfill, a manual sync, a
// reconciliation) as the OrderEvent the pipeline carries. Its EventID is the same for
// the same origin and version of the order, so reading an order twice is one event to
// the processor; Topic is "orders/<origin>" (no Shopify topic looks like it); Raw keeps
// what GraphQL answered.
func Event(shop, origin string, f *admin.FullOrder, receivedAt time.Time) (*schemas.OrderEvent, error) {
	switch origin {
	case schemas.OriginBackfill, schemas.OriginManual, schemas.OriginReconcile:
	default:
		return nil, fmt.Errorf("order event origin %q: want %s, %s or %s", origin, schemas.OriginBackfill, schemas.OriginManual, schemas.OriginReconcile)
	}
	o, err := FromGraphQL(f)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("order %d: encode: %w", o.ID, err)
	}
	return &schemas.OrderEvent{
		EventID:    origin + ":" + strconv.FormatInt(o.ID, 10) + ":" + strconv.FormatInt(o.UpdatedAt.UnixMilli(), 10),
		Shop:       shop,
		OrderID:    o.ID,
		Topic:      "orders/" + origin,
		Origin:     origin,
		ReceivedAt: receivedAt.UTC().Truncate(time.Millisecond),
		Order:      o,
		Raw:        raw,
	}, nil
}
