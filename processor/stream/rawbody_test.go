package stream

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// decodeRaw fills the order of an event ingest left undecoded, from its raw body,
// and leaves every other event alone.
func TestDecodeRaw(t *testing.T) {
	updated := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	var seen []string
	p := New(Deps{Normalize: func(body []byte) (schemas.Order, error) {
		seen = append(seen, string(body))
		switch string(body) {
		case "order 7":
			return schemas.Order{ID: 7, Name: "#1007", UpdatedAt: updated}, nil
		case "order 8":
			return schemas.Order{ID: 8}, nil
		}
		return schemas.Order{}, errors.New("order payload: unexpected end of JSON input")
	}})

	ev := &schemas.OrderEvent{OrderID: 7, Raw: []byte("order 7"), DecodeRaw: true, Order: schemas.Order{ID: 7}}
	if err := p.decodeRaw(ev); err != nil {
		t.Fatal(err)
	}
	if ev.DecodeRaw || ev.Order.Name != "#1007" || !ev.Order.UpdatedAt.Equal(updated) {
		t.Errorf("decoded event %+v", ev)
	}

	// Already a snapshot (manual sync, retry, events written before decode_raw): untouched.
	snap := &schemas.OrderEvent{OrderID: 7, Raw: []byte("order 7"), Order: schemas.Order{ID: 7, Name: "kept"}}
	if err := p.decodeRaw(snap); err != nil || snap.Order.Name != "kept" || len(seen) != 1 {
		t.Errorf("snapshot event: %v %+v (normalizer called %d times)", err, snap.Order, len(seen))
	}

	// The body names another order than the key: its state would live under the wrong key.
	other := &schemas.OrderEvent{OrderID: 7, Raw: []byte("order 8"), DecodeRaw: true}
	if err := p.decodeRaw(other); err == nil || !strings.Contains(err.Error(), "order 8") {
		t.Errorf("mismatched body: %v", err)
	}
	bad := &schemas.OrderEvent{OrderID: 7, Raw: []byte("{cut"), DecodeRaw: true}
	if err := p.decodeRaw(bad); err == nil || !bad.DecodeRaw {
		t.Errorf("unreadable body: %v, event %+v", err, bad)
	}
}

func TestRunRefusesToStartWithoutANormalizer(t *testing.T) {
	if err := New(Deps{}).Run(t.Context()); err == nil || !strings.Contains(err.Error(), "normalizer") {
		t.Fatalf("Run without Normalize: %v", err)
	}
}
