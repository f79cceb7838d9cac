package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/serde"
)

// Publisher produces Avro values and waits for Kafka's acknowledgement (acks=all).
type Publisher struct {
	cl    *kgo.Client
	serde *serde.Serde
}

// NewPublisher wraps a producing client.
func NewPublisher(cl *kgo.Client, sd *serde.Serde) *Publisher { return &Publisher{cl: cl, serde: sd} }

// Publish encodes v for topic and produces it under key; it returns once Kafka has it.
func (p *Publisher) Publish(ctx context.Context, topic string, key []byte, v any, headers ...kgo.RecordHeader) error {
	val, err := p.serde.Encode(topic, v)
	if err != nil {
		return err
	}
	r := &kgo.Record{Topic: topic, Key: key, Value: val, Headers: headers}
	if err := p.cl.ProduceSync(ctx, r).FirstErr(); err != nil {
		return fmt.Errorf("produce to %s: %w", topic, err)
	}
	return nil
}

// PublishRecord produces a record whose value is already bytes (a dead letter keeps
// the original value) and returns once Kafka has it.
func (p *Publisher) PublishRecord(ctx context.Context, r *kgo.Record) error {
	if err := p.cl.ProduceSync(ctx, r).FirstErr(); err != nil {
		return fmt.Errorf("produce to %s: %w", r.Topic, err)
	}
	return nil
}

// Client is the underlying client (for closing and flushing).
func (p *Publisher) Client() *kgo.Client { return p.cl }

// Batch produces without waiting per record; Wait waits for the batch's own records
// (not the whole client's) and reports every failure. Use it where several results
// are committed together (a record's outcome and retry, a sink's poll batch): one
// wait for all of them instead of one per record.
type Batch struct {
	p   *Publisher
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

// Batch starts a batch on this publisher.
func (p *Publisher) Batch() *Batch { return &Batch{p: p} }

// Publish encodes v and hands it to the producer.
func (b *Batch) Publish(ctx context.Context, topic string, key []byte, v any, headers ...kgo.RecordHeader) error {
	val, err := b.p.serde.Encode(topic, v)
	if err != nil {
		return err
	}
	b.PublishRecord(ctx, &kgo.Record{Topic: topic, Key: key, Value: val, Headers: headers})
	return nil
}

// PublishRecord hands a ready record to the producer.
func (b *Batch) PublishRecord(ctx context.Context, r *kgo.Record) {
	b.wg.Add(1)
	b.p.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
		defer b.wg.Done()
		if err != nil {
			b.mu.Lock()
			b.err = errors.Join(b.err, fmt.Errorf("produce to %s: %w", r.Topic, err))
			b.mu.Unlock()
		}
	})
}

// Wait returns once Kafka acknowledged every record of the batch (or failed them);
// ctx ending stops the wait, not the records.
func (b *Batch) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}
