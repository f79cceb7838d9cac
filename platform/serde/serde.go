// Package serde encodes and decodes Kafka values as Avro in the Confluent wire
// format (magic byte, 4-byte schema id, body), registering each topic's schema under
// the subject <topic>-value. Values written with an older schema are read through
// Avro schema resolution, so readers survive compatible evolution.
package serde

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/synco-dev/synco/schemas"
)

// ErrNotAvro is returned for a value that does not carry the Confluent header.
var ErrNotAvro = errors.New("value is not Confluent-framed Avro")

// Serde is safe for concurrent use.
type Serde struct {
	cl  *sr.Client
	set *schemas.Set
	hdr sr.ConfluentHeader

	mu      sync.RWMutex
	ids     map[string]int      // topic -> registered schema id
	readers map[int]avro.Schema // schema id -> writer schema as registered
	resolve map[resolveKey]avro.Schema
}

type resolveKey struct {
	id     int
	reader string
}

// New registers the schema of every topic in topics and returns a Serde for them.
func New(ctx context.Context, cl *sr.Client, set *schemas.Set, topics ...string) (*Serde, error) {
	s := &Serde{cl: cl, set: set, ids: map[string]int{}, readers: map[int]avro.Schema{}, resolve: map[resolveKey]avro.Schema{}}
	for _, t := range topics {
		if err := s.Register(ctx, t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Register makes topic's schema known to the registry (idempotent).
func (s *Serde) Register(ctx context.Context, topic string) error {
	name := schemas.SchemaForTopic(topic)
	if name == "" {
		return fmt.Errorf("register %s: no schema for this topic", topic)
	}
	text, err := s.set.Text(name)
	if err != nil {
		return err
	}
	ss, err := s.cl.CreateSchema(ctx, topic+"-value", sr.Schema{Schema: text, Type: sr.TypeAvro})
	if err != nil {
		return fmt.Errorf("register schema for %s: %w", topic, err)
	}
	s.mu.Lock()
	s.ids[topic] = ss.ID
	s.readers[ss.ID] = s.set.Schema(name)
	s.mu.Unlock()
	return nil
}

// Encode writes v (a schemas type) in topic's schema.
func (s *Serde) Encode(topic string, v any) ([]byte, error) {
	s.mu.RLock()
	id, ok := s.ids[topic]
	var sc avro.Schema
	if ok {
		sc = s.readers[id]
	}
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("encode for %s: topic not registered", topic)
	}
	body, err := avro.Marshal(sc, v)
	if err != nil {
		return nil, fmt.Errorf("encode %T for %s: %w", v, topic, err)
	}
	out, err := s.hdr.AppendEncode(make([]byte, 0, len(body)+5), id, nil)
	if err != nil {
		return nil, err
	}
	return append(out, body...), nil
}

// Decode reads a value of topic into v, resolving from the writer's schema.
func (s *Serde) Decode(ctx context.Context, topic string, b []byte, v any) error {
	if len(b) < 5 || b[0] != 0 {
		return ErrNotAvro
	}
	id, body, err := s.hdr.DecodeID(b)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotAvro, err)
	}
	name := schemas.SchemaForTopic(topic)
	if name == "" {
		return fmt.Errorf("decode %s: no schema for this topic", topic)
	}
	sc, err := s.readerFor(ctx, id, name)
	if err != nil {
		return err
	}
	if err := avro.Unmarshal(sc, body, v); err != nil {
		return fmt.Errorf("decode %s (schema id %d): %w", topic, id, err)
	}
	return nil
}

// readerFor returns the schema to decode data written with schema id into the
// current reader schema name.
func (s *Serde) readerFor(ctx context.Context, id int, name string) (avro.Schema, error) {
	reader := s.set.Schema(name)
	k := resolveKey{id, name}
	s.mu.RLock()
	if r, ok := s.resolve[k]; ok {
		s.mu.RUnlock()
		return r, nil
	}
	writer, known := s.readers[id]
	s.mu.RUnlock()
	if !known {
		ss, err := s.cl.SchemaByID(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("fetch writer schema %d: %w", id, err)
		}
		if writer, err = avro.Parse(ss.Schema); err != nil {
			return nil, fmt.Errorf("parse writer schema %d: %w", id, err)
		}
	}
	r := reader
	if writer.Fingerprint() != reader.Fingerprint() {
		var err error
		if r, err = avro.NewSchemaCompatibility().Resolve(reader, writer); err != nil {
			return nil, fmt.Errorf("schema %d cannot be read as %s: %w", id, name, err)
		}
	}
	s.mu.Lock()
	s.readers[id] = writer
	s.resolve[k] = r
	s.mu.Unlock()
	return r, nil
}
