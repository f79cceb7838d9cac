package stream

import (
	"os"
	"strings"
	"testing"

	"github.com/synco-dev/synco/schemas"
)

// decodeRaw fills the order of an event ingest left undecoded, from its raw body
// (the normalizer of module shopify), and leaves every other event alone.
func TestDecodeRaw(t *testing.T) {
	body, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		t.Fatal(err)
	}
	p := New(Deps{})
	ev := &schemas.OrderEvent{OrderID: 820982911946154508, Raw: body, DecodeRaw: true, Order: schemas.Order{ID: 820982911946154508}}
	if err := p.decodeRaw(ev); err != nil {
		t.Fatal(err)
	}
	if ev.DecodeRaw || ev.Order.Name != "#9999" || ev.Order.UpdatedAt.IsZero() || len(ev.Order.LineItems) == 0 || ev.Order.TotalPrice.IsZero() {
		t.Errorf("decoded order %+v", ev.Order)
	}

	// Already a snapshot (manual sync, retry, events written before decode_raw): untouched.
	snap := &schemas.OrderEvent{OrderID: 820982911946154508, Raw: body, Order: schemas.Order{ID: 820982911946154508, Name: "kept"}}
	if err := p.decodeRaw(snap); err != nil || snap.Order.Name != "kept" {
		t.Errorf("snapshot event: %v %+v", err, snap.Order)
	}

	// The body names another order than the key: its state would live under the wrong key.
	other := &schemas.OrderEvent{OrderID: 7, Raw: body, DecodeRaw: true}
	if err := p.decodeRaw(other); err == nil || !strings.Contains(err.Error(), "820982911946154508") {
		t.Errorf("mismatched body: %v", err)
	}
	// Valid JSON that is no order (ingest checks only the syntax, the key and the version).
	bad := &schemas.OrderEvent{OrderID: 7, Raw: []byte(`{"id":7,"total_price":{"x":1}}`), DecodeRaw: true}
	if err := p.decodeRaw(bad); err == nil || !bad.DecodeRaw {
		t.Errorf("unreadable body: %v, event %+v", err, bad)
	}
}
