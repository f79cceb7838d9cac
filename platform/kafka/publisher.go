package kafka

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas/serde"
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

// Client is the underlying client (for closing and flushing).
func (p *Publisher) Client() *kgo.Client { return p.cl }
