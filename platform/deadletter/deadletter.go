// Package deadletter builds the one kind of dead letter every stage writes: the
// original key and value untouched, on the origin's .dlq topic, with the reason,
// the stage, where it came from, the attempt and when it first failed in headers
// (as Watermill's poison queue does). Replaying one is producing its value back to
// its origin topic.
package deadletter

import (
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Header names on a dead letter.
const (
	HeaderReason          = "synco.dlq.reason"
	HeaderStage           = "synco.dlq.stage"
	HeaderOriginTopic     = "synco.dlq.origin_topic"
	HeaderOriginPartition = "synco.dlq.origin_partition"
	HeaderOriginOffset    = "synco.dlq.origin_offset"
	HeaderAttempt         = "synco.dlq.attempt"
	HeaderFirstFailedAt   = "synco.dlq.first_failed_at" // RFC 3339, ms
	HeaderFailedAt        = "synco.dlq.failed_at"
	HeaderShop            = "synco.dlq.shop"
)

// Letter is what a stage could not handle.
type Letter struct {
	Topic string // the .dlq topic
	Key   []byte
	Value []byte // the original bytes, untouched
	// Headers are the original record's (or a webhook's X-Shopify-* headers); the
	// dead letter's own headers are added after them.
	Headers []kgo.RecordHeader

	Reason string
	Stage  string // ingest, processor, sink.odoo, ...
	Shop   string
	// Origin: a Kafka topic with partition and offset, or a webhook topic
	// ("webhook orders/create") with Partition -1.
	OriginTopic     string
	OriginPartition int32
	OriginOffset    int64
	Attempt         int
	FirstFailedAt   time.Time
	FailedAt        time.Time
}

// FromRecord starts a letter for a record that failed at stage.
func FromRecord(r *kgo.Record, dlqTopic, stage, reason string, now time.Time) Letter {
	return Letter{Topic: dlqTopic, Key: r.Key, Value: r.Value, Headers: withoutOwn(r.Headers), Reason: reason, Stage: stage,
		OriginTopic: r.Topic, OriginPartition: r.Partition, OriginOffset: r.Offset, FirstFailedAt: now, FailedAt: now}
}

// Record is the Kafka record of the letter.
func (l Letter) Record() *kgo.Record {
	h := append([]kgo.RecordHeader{}, l.Headers...)
	add := func(k, v string) { h = append(h, kgo.RecordHeader{Key: k, Value: []byte(v)}) }
	add(HeaderReason, l.Reason)
	add(HeaderStage, l.Stage)
	if l.Shop != "" {
		add(HeaderShop, l.Shop)
	}
	add(HeaderOriginTopic, l.OriginTopic)
	if l.OriginPartition >= 0 {
		add(HeaderOriginPartition, strconv.Itoa(int(l.OriginPartition)))
		add(HeaderOriginOffset, strconv.FormatInt(l.OriginOffset, 10))
	}
	add(HeaderAttempt, strconv.Itoa(l.Attempt))
	failed := l.FailedAt
	if failed.IsZero() {
		failed = time.Now()
	}
	first := l.FirstFailedAt
	if first.IsZero() {
		first = failed
	}
	add(HeaderFirstFailedAt, first.UTC().Format(time.RFC3339Nano))
	add(HeaderFailedAt, failed.UTC().Format(time.RFC3339Nano))
	return &kgo.Record{Topic: l.Topic, Key: l.Key, Value: l.Value, Headers: h}
}

// Header reads one header of a record ("" when absent).
func Header(r *kgo.Record, key string) string {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return string(r.Headers[i].Value)
		}
	}
	return ""
}

// withoutOwn drops dead-letter headers an earlier failure left (a replayed letter
// failing again is described once, freshly).
func withoutOwn(hs []kgo.RecordHeader) []kgo.RecordHeader {
	out := make([]kgo.RecordHeader, 0, len(hs))
	for _, h := range hs {
		if len(h.Key) < len("synco.dlq.") || h.Key[:len("synco.dlq.")] != "synco.dlq." {
			out = append(out, h)
		}
	}
	return out
}
