// Package serde encodes and decodes Kafka values as Avro in the Confluent wire
// format (magic byte, 4-byte schema id, body), registering each topic's schema under
// the subject <topic>-value. Values written with an older schema are read through
// Avro schema resolution, so readers survive compatible evolution.
package serde

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/synco-dev/synco/schemas"
)

// ErrNotAvro is returned for a value that does not carry the Confluent header.
var ErrNotAvro = errors.New("value is not Confluent-framed Avro")

// ErrNotTail is returned by EncodeWithTail when the topic's record does not end with
// the tail's type (the caller encodes the whole value instead).
var ErrNotTail = errors.New("the tail is not of the record's last field type")

// Serde is safe for concurrent use.
type Serde struct {
	cl  *sr.Client
	set *schemas.Set
	hdr sr.ConfluentHeader

	mu      sync.RWMutex
	ids     map[string]int      // topic -> registered schema id
	readers map[int]avro.Schema // schema id -> writer schema as registered
	resolve map[resolveKey]avro.Schema
	heads   map[int]recordHead // schema id -> the record without its last field

	writers sync.Pool // *avro.Writer
}

// recordHead is a record schema without its last field, and that field's type.
type recordHead struct {
	head avro.Schema
	last avro.Schema
	fp   [32]byte // of last
}

type resolveKey struct {
	id     int
	reader string
}

// New registers the schema of every topic in topics and returns a Serde for them.
func New(ctx context.Context, cl *sr.Client, set *schemas.Set, topics ...string) (*Serde, error) {
	s := &Serde{cl: cl, set: set, ids: map[string]int{}, readers: map[int]avro.Schema{}, resolve: map[resolveKey]avro.Schema{},
		heads: map[int]recordHead{}}
	s.writers.New = func() any { return avro.NewWriter(nil, 4096) }
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
	id, sc, err := s.writerSchema(topic)
	if err != nil {
		return nil, err
	}
	return s.encode(id, sc, v, nil)
}

func (s *Serde) writerSchema(topic string) (int, avro.Schema, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.ids[topic]
	if !ok {
		return 0, nil, fmt.Errorf("encode for %s: topic not registered", topic)
	}
	return id, s.readers[id], nil
}

// encode writes the header, v in schema sc, then tail, into one new slice (a pooled
// writer: one allocation and one copy per value).
func (s *Serde) encode(id int, sc avro.Schema, v any, tail []byte) ([]byte, error) {
	w := s.writers.Get().(*avro.Writer)
	defer s.writers.Put(w)
	w.Reset(nil)
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[1:], uint32(id))
	w.Write(hdr[:])
	w.WriteVal(sc, v)
	if w.Error != nil {
		err := w.Error
		w.Error = nil
		return nil, fmt.Errorf("encode %T (schema id %d): %w", v, id, err)
	}
	b := w.Buffer()
	out := make([]byte, len(b)+len(tail))
	copy(out[copy(out, b):], tail)
	return out, nil
}

// Tail is a record's last field encoded once, to be shared by several records that
// end with the same type (an order snapshot in the state and in the command): Avro
// writes a record's fields one after the other, so a record is its head's encoding
// followed by its last field's.
type Tail struct {
	fp [32]byte
	b  []byte
}

// EncodeTail encodes v as the last field of topic's record.
func (s *Serde) EncodeTail(topic string, v any) (Tail, error) {
	h, err := s.head(topic)
	if err != nil {
		return Tail{}, err
	}
	b, err := avro.Marshal(h.last, v)
	if err != nil {
		return Tail{}, fmt.Errorf("encode %T as the last field of %s: %w", v, topic, err)
	}
	return Tail{fp: h.fp, b: b}, nil
}

// EncodeWithTail writes v (a schemas type) in topic's schema, its last field taken
// from tail (v's own is not read): byte for byte what Encode gives when tail holds v's
// last field.
func (s *Serde) EncodeWithTail(topic string, v any, tail Tail) ([]byte, error) {
	h, err := s.head(topic)
	if err != nil {
		return nil, err
	}
	if tail.fp != h.fp {
		return nil, fmt.Errorf("encode for %s: %w", topic, ErrNotTail)
	}
	id, _, err := s.writerSchema(topic)
	if err != nil {
		return nil, err
	}
	return s.encode(id, h.head, v, tail.b)
}

// head returns topic's record schema without its last field (made once per schema).
func (s *Serde) head(topic string) (recordHead, error) {
	id, sc, err := s.writerSchema(topic)
	if err != nil {
		return recordHead{}, err
	}
	s.mu.RLock()
	h, ok := s.heads[id]
	s.mu.RUnlock()
	if ok {
		return h, nil
	}
	rs, ok := sc.(*avro.RecordSchema)
	if !ok || len(rs.Fields()) < 2 {
		return recordHead{}, fmt.Errorf("encode for %s: not a record of two fields or more", topic)
	}
	fields := rs.Fields()
	var head []*avro.Field
	for _, f := range fields[:len(fields)-1] {
		nf, err := avro.NewField(f.Name(), f.Type())
		if err != nil {
			return recordHead{}, fmt.Errorf("head of %s: %w", topic, err)
		}
		head = append(head, nf)
	}
	hs, err := avro.NewRecordSchema(rs.Name()+"Head", rs.Namespace(), head)
	if err != nil {
		return recordHead{}, fmt.Errorf("head of %s: %w", topic, err)
	}
	last := fields[len(fields)-1].Type()
	if ref, ok := last.(*avro.RefSchema); ok {
		last = ref.Schema()
	}
	h = recordHead{head: hs, last: last, fp: last.Fingerprint()}
	s.mu.Lock()
	s.heads[id] = h
	s.mu.Unlock()
	return h, nil
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
