package serde_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/synco-dev/synco/platform/serde"
	"github.com/synco-dev/synco/schemas"
)

func newSerde(t *testing.T) (*serde.Serde, *sr.Client) {
	t.Helper()
	reg := srfake.New()
	srv := httptest.NewServer(reg.Handler())
	t.Cleanup(srv.Close)
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := serde.New(context.Background(), cl, set, schemas.TopicOrders, schemas.TopicOutcomes)
	if err != nil {
		t.Fatal(err)
	}
	return s, cl
}

func TestRoundTripKeepsDecimalsAndBigIDs(t *testing.T) {
	s, _ := newSerde(t)
	at := time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC)
	in := schemas.OrderEvent{
		EventID: "e1", Shop: "demo.myshopify.com", OrderID: 820982911946154508, Topic: "orders/create",
		Origin: schemas.OriginWebhook, ReceivedAt: at,
		Order: schemas.Order{ID: 820982911946154508, Name: "#1001", CreatedAt: at, UpdatedAt: at,
			TotalPrice: decimal.RequireFromString("1234567890.12"),
			LineItems:  []schemas.LineItem{{ID: 487817672276298554, Quantity: 3, Price: decimal.RequireFromString("0.10")}}},
		Raw: []byte(`{"id":1}`),
	}
	b, err := s.Encode(schemas.TopicOrders, in)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0 {
		t.Fatalf("magic byte = %d, want 0", b[0])
	}
	var out schemas.OrderEvent
	if err := s.Decode(context.Background(), schemas.TopicOrders, b, &out); err != nil {
		t.Fatal(err)
	}
	if out.OrderID != in.OrderID || out.Order.LineItems[0].ID != 487817672276298554 {
		t.Errorf("ids changed: %d %d", out.OrderID, out.Order.LineItems[0].ID)
	}
	if !out.Order.TotalPrice.Equal(in.Order.TotalPrice) || out.Order.LineItems[0].Price.String() != "0.1" {
		t.Errorf("money changed: %s %s", out.Order.TotalPrice, out.Order.LineItems[0].Price)
	}
	if !out.ReceivedAt.Equal(at) || string(out.Raw) != `{"id":1}` {
		t.Errorf("fields changed: %+v", out)
	}
}

func TestDecodeRejectsUnframed(t *testing.T) {
	s, _ := newSerde(t)
	var out schemas.OrderEvent
	if err := s.Decode(context.Background(), schemas.TopicOrders, []byte(`{"json":true}`), &out); err == nil {
		t.Fatal("decoded a JSON value as Avro")
	}
}

// A value written by an older producer with fewer fields is read with defaults.
func TestDecodeOlderWriterSchema(t *testing.T) {
	s, cl := newSerde(t)
	old := `{"type":"record","name":"SyncOutcome","namespace":"synco.v1","fields":[
	  {"name":"outcome_id","type":"string"},{"name":"shop","type":"string"},{"name":"order_id","type":"long"},
	  {"name":"stage","type":"string"},{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
	  {"name":"created_at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"status","type":"string"}]}`
	ss, err := cl.CreateSchema(context.Background(), "old-subject", sr.Schema{Schema: old, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	type oldOutcome struct {
		OutcomeID string    `avro:"outcome_id"`
		Shop      string    `avro:"shop"`
		OrderID   int64     `avro:"order_id"`
		Stage     string    `avro:"stage"`
		At        time.Time `avro:"at"`
		CreatedAt time.Time `avro:"created_at"`
		Status    string    `avro:"status"`
	}
	body, err := avro.Marshal(avro.MustParse(old), oldOutcome{OutcomeID: "o1", Shop: "s", OrderID: 7, Stage: "processor", At: time.Now(), CreatedAt: time.Now(), Status: "synced"})
	if err != nil {
		t.Fatal(err)
	}
	var hdr sr.ConfluentHeader
	framed, _ := hdr.AppendEncode(nil, ss.ID, nil)
	framed = append(framed, body...)
	var out schemas.SyncOutcome
	if err := s.Decode(context.Background(), schemas.TopicOutcomes, framed, &out); err != nil {
		t.Fatal(err)
	}
	if out.OrderID != 7 || out.Status != "synced" || !out.Total.IsZero() {
		t.Errorf("got %+v", out)
	}
}

// The state and the command carry the same order snapshot as their last field: encoded
// once as a tail, each record is byte for byte what a whole encoding gives.
func TestEncodeWithTailEqualsEncode(t *testing.T) {
	s, _ := newSerde(t)
	ctx := context.Background()
	for _, topic := range []string{schemas.TopicProcessorState, schemas.TopicCommands} {
		if err := s.Register(ctx, topic); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC)
	order := schemas.Order{ID: 820982911946154508, Name: "#1001", CreatedAt: at, UpdatedAt: at, Currency: "EUR",
		TotalPrice: decimal.RequireFromString("103.49"), Customer: &schemas.Customer{ID: 7, Email: "a@example.com"},
		LineItems: []schemas.LineItem{{ID: 1, SKU: "SKU-1", Quantity: 2, Price: decimal.RequireFromString("19.90")}}}
	state := schemas.OrderState{Shop: "s", OrderID: order.ID, Version: at.UnixMilli(), Seq: 3, RecentEventIDs: []string{"e3", "e2"},
		Commanded: true, Order: order}
	cmd := schemas.OrderSync{CommandID: "c", Shop: "s", OrderID: order.ID, Version: at.UnixMilli(), Seq: 3, IssuedAt: at,
		SaleOrder: schemas.SaleOrderDraft, Invoice: schemas.InvoiceNone, Eligible: true, OdooName: "1001", Settings: schemas.DefaultSettings("s"), Order: order}
	tail, err := s.EncodeTail(schemas.TopicProcessorState, &order)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		topic string
		v     any
	}{{schemas.TopicProcessorState, &state}, {schemas.TopicCommands, &cmd}} {
		whole, err := s.Encode(c.topic, c.v)
		if err != nil {
			t.Fatal(err)
		}
		withTail, err := s.EncodeWithTail(c.topic, c.v, tail)
		if err != nil {
			t.Fatal(err)
		}
		if string(whole) != string(withTail) {
			t.Errorf("%s: head+tail differs from the whole encoding (%d vs %d bytes)", c.topic, len(withTail), len(whole))
		}
	}
	var back schemas.OrderState
	b, _ := s.EncodeWithTail(schemas.TopicProcessorState, &state, tail)
	if err := s.Decode(ctx, schemas.TopicProcessorState, b, &back); err != nil || back.Seq != 3 || !back.Order.TotalPrice.Equal(order.TotalPrice) {
		t.Errorf("decoded %+v, %v", back, err)
	}
	otherTail, err := s.EncodeTail(schemas.TopicOrders, int32(1)) // an event ends with its attempt
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EncodeWithTail(schemas.TopicProcessorState, &state, otherTail); !errors.Is(err, serde.ErrNotTail) {
		t.Errorf("a tail of another type: %v, want ErrNotTail", err)
	}
}
