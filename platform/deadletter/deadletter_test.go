package deadletter

import (
	"bytes"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLetterKeepsTheRecordAndSaysWhy(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	orig := &kgo.Record{Topic: "odoo.commands", Partition: 3, Offset: 42, Key: []byte("s/1"), Value: []byte{0, 1, 2},
		Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("x")}, {Key: HeaderReason, Value: []byte("an earlier failure")}}}
	l := FromRecord(orig, "odoo.commands.dlq", "sink.odoo", "Odoo said no", at)
	l.Attempt, l.FirstFailedAt = 2, at.Add(-time.Hour)
	r := l.Record()
	if r.Topic != "odoo.commands.dlq" || !bytes.Equal(r.Key, orig.Key) || !bytes.Equal(r.Value, orig.Value) {
		t.Fatalf("record %+v", r)
	}
	for k, want := range map[string]string{
		"trace": "x", HeaderReason: "Odoo said no", HeaderStage: "sink.odoo", HeaderOriginTopic: "odoo.commands",
		HeaderOriginPartition: "3", HeaderOriginOffset: "42", HeaderAttempt: "2",
		HeaderFirstFailedAt: "2026-12-01T09:00:00Z", HeaderFailedAt: "2026-12-01T10:00:00Z",
	} {
		if got := Header(r, k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	n := 0
	for _, h := range r.Headers {
		if h.Key == HeaderReason {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d reason headers: an earlier letter's headers must not be kept", n)
	}
	// A webhook has no partition or offset.
	w := Letter{Topic: "shopify.orders.dlq", Value: []byte("{"), OriginTopic: "webhook orders/create", OriginPartition: -1, Reason: "bad json", Stage: "ingest"}.Record()
	if Header(w, HeaderOriginOffset) != "" || Header(w, HeaderFirstFailedAt) == "" {
		t.Errorf("webhook letter headers %v", w.Headers)
	}
}
