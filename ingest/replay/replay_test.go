package replay

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// jsonDecoder stands for the Avro serde: the Source's values are JSON here.
type jsonDecoder struct{}

func (jsonDecoder) Decode(_ context.Context, _ string, b []byte, v any) error {
	return json.Unmarshal(b, v)
}

func stored(t *testing.T, states ...schemas.OrderState) Source {
	return func(_ context.Context, fn func(key, value []byte) error) error {
		for _, st := range states {
			b, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			if err := fn(schemas.OrderKey(st.Shop, st.OrderID), b); err != nil {
				return err
			}
		}
		// A removed order, and another shop's.
		if err := fn(schemas.OrderKey("r.myshopify.com", 4), nil); err != nil {
			return err
		}
		return fn(schemas.OrderKey("other.myshopify.com", 9), []byte(`{"shop":"other.myshopify.com","order_id":9}`))
	}
}

func state(id int64, created time.Time, commanded bool) schemas.OrderState {
	return schemas.OrderState{Shop: "r.myshopify.com", OrderID: id, Version: created.UnixMilli(), Commanded: commanded,
		Order: schemas.Order{ID: id, CreatedAt: created, UpdatedAt: created, FinancialStatus: "pending"}}
}

func TestReplaySendsStoredOrdersThroughTheRules(t *testing.T) {
	day := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	src := stored(t, state(1, day, false), state(2, day, true), state(3, day.AddDate(0, 0, -5), false), state(4, day, false))
	run := func(force bool) ([]*schemas.OrderEvent, Counts) {
		var sent []*schemas.OrderEvent
		var progress [][2]int
		r := &Replay{Shop: "R.myshopify.com", From: day.Add(-time.Hour), Force: force, Source: src, Decoder: jsonDecoder{}, Batch: 1,
			Emit:     func(_ context.Context, evs []*schemas.OrderEvent) error { sent = append(sent, evs...); return nil },
			Progress: func(s, total int) { progress = append(progress, [2]int{s, total}) }}
		cn, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(progress) != len(sent) || (len(progress) > 0 && progress[len(progress)-1] != [2]int{len(sent), len(sent)}) {
			t.Errorf("progress %v for %d sent", progress, len(sent))
		}
		return sent, cn
	}
	sent, cn := run(false)
	if cn != (Counts{Stored: 3, Outside: 1, Synced: 1, Sent: 1}) || len(sent) != 1 || sent[0].OrderID != 1 {
		t.Fatalf("without force: %+v, sent %v", cn, sent)
	}
	ev := sent[0]
	if !ev.Force || ev.Origin != schemas.OriginReplay || ev.Shop != "r.myshopify.com" || ev.Order.FinancialStatus != "pending" || ev.EventID == "" {
		t.Errorf("event %+v", ev)
	}
	sent, cn = run(true)
	if cn.Sent != 2 || cn.Synced != 0 || len(sent) != 2 {
		t.Errorf("with force: %+v", cn)
	}
}
