package schemas

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/hamba/avro/v2"
)

//go:embed avro/*.avsc
var files embed.FS

// Parse order matters: named types must be defined before they are referenced.
var fileOrder = []string{"order.avsc", "shop_settings.avsc", "order_event.avsc", "order_sync.avsc", "sync_outcome.avsc", "dead_letter.avsc", "sync_request.avsc", "order_state.avsc", "odoo_catalog.avsc", "job.avsc"}

// Names of the top-level schemas.
const (
	OrderEventSchema   = "synco.v1.OrderEvent"
	ShopSettingsSchema = "synco.v1.ShopSettings"
	OrderSyncSchema    = "synco.v1.OrderSync"
	SyncOutcomeSchema  = "synco.v1.SyncOutcome"
	DeadLetterSchema   = "synco.v1.DeadLetter"
	SyncRequestSchema  = "synco.v1.SyncRequest"
	OrderStateSchema   = "synco.v1.OrderState"
	OdooCatalogSchema  = "synco.v1.OdooCatalog"
	JobSchema          = "synco.v1.Job"
)

// Set holds the parsed schemas by full name.
type Set struct {
	byName map[string]avro.Schema
}

// Load parses the embedded .avsc files.
func Load() (*Set, error) {
	return LoadFS(files, "avro", fileOrder)
}

// LoadFS parses schemas from any file system (used by the compatibility test on
// historical versions).
func LoadFS(fsys fs.FS, dir string, names []string) (*Set, error) {
	cache := &avro.SchemaCache{}
	set := &Set{byName: map[string]avro.Schema{}}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, dir+"/"+n)
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", n, err)
		}
		s, err := avro.ParseBytesWithCache(b, "", cache)
		if err != nil {
			return nil, fmt.Errorf("parse schema %s: %w", n, err)
		}
		named, ok := s.(avro.NamedSchema)
		if !ok {
			return nil, fmt.Errorf("schema %s: top level is not a named type", n)
		}
		set.byName[named.FullName()] = s
	}
	return set, nil
}

// Schema returns a parsed schema by its full name.
func (s *Set) Schema(name string) avro.Schema { return s.byName[name] }

// Names lists the top-level schema names.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	return out
}

// Text is the self-contained JSON of a schema (referenced named types inlined), as
// registered with the schema registry.
func (s *Set) Text(name string) (string, error) {
	sc := s.byName[name]
	if sc == nil {
		return "", fmt.Errorf("unknown schema %q", name)
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return "", fmt.Errorf("marshal schema %s: %w", name, err)
	}
	return string(b), nil
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
