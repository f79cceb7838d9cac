package odoo

import (
	"context"
	"fmt"
)

// Record is one row as search_read or read return it.
type Record map[string]any

// SearchRead runs model.search_read(domain, fields) with optional kwargs (limit, order,
// context ...).
func SearchRead(ctx context.Context, c Client, model string, domain []any, fields []string, kw map[string]any) ([]Record, error) {
	if domain == nil {
		domain = []any{}
	}
	k := map[string]any{"fields": fields}
	for key, v := range kw {
		k[key] = v
	}
	res, err := c.Call(ctx, model, "search_read", []any{domain}, k)
	if err != nil {
		return nil, err
	}
	return asRecords(model, "search_read", res)
}

// Read runs model.read(ids, fields). Missing ids are simply absent.
func Read(ctx context.Context, c Client, model string, ids []int64, fields []string) ([]Record, error) {
	res, err := c.Call(ctx, model, "read", []any{ids, fields}, nil)
	if err != nil {
		return nil, err
	}
	return asRecords(model, "read", res)
}

// Create runs model.create(vals) and returns the new id.
func Create(ctx context.Context, c Client, model string, vals map[string]any, kw map[string]any) (int64, error) {
	ids, err := CreateMany(ctx, c, model, []map[string]any{vals}, kw)
	if err != nil {
		return 0, err
	}
	if len(ids) != 1 {
		return 0, permanent(model, "create", 0, "", fmt.Sprintf("create answered %d ids for one record", len(ids)))
	}
	return ids[0], nil
}

// CreateMany creates several records in one call (and one transaction).
func CreateMany(ctx context.Context, c Client, model string, vals []map[string]any, kw map[string]any) ([]int64, error) {
	list := make([]any, len(vals))
	for i, v := range vals {
		list[i] = v
	}
	res, err := c.Call(ctx, model, "create", []any{list}, kw)
	if err != nil {
		return nil, err
	}
	ids, ok := asIDs(res)
	if !ok || len(ids) != len(vals) {
		return nil, permanent(model, "create", 0, "", fmt.Sprintf("unexpected answer to create: %v", res))
	}
	return ids, nil
}

// Write runs model.write(ids, vals).
func Write(ctx context.Context, c Client, model string, ids []int64, vals map[string]any) error {
	_, err := c.Call(ctx, model, "write", []any{ids, vals}, nil)
	return err
}

func asRecords(model, method string, res any) ([]Record, error) {
	list, ok := res.([]any)
	if !ok {
		return nil, permanent(model, method, 0, "", fmt.Sprintf("expected a list of records, got %T", res))
	}
	out := make([]Record, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, permanent(model, method, 0, "", fmt.Sprintf("expected a record, got %T", e))
		}
		out = append(out, Record(m))
	}
	return out, nil
}

// asIDs reads an id or a list of ids (create answers either, by transport and input).
func asIDs(v any) ([]int64, bool) {
	switch x := v.(type) {
	case int64:
		return []int64{x}, true
	case []any:
		out := make([]int64, 0, len(x))
		for _, e := range x {
			n, ok := e.(int64)
			if !ok {
				return nil, false
			}
			out = append(out, n)
		}
		return out, true
	}
	return nil, false
}

// ID is the record's id.
func (r Record) ID() int64 { n, _ := r["id"].(int64); return n }

// Int reads an integer field (false reads as 0).
func (r Record) Int(f string) int64 { n, _ := r[f].(int64); return n }

// String reads a char/selection field (false reads as "").
func (r Record) String(f string) string { s, _ := r[f].(string); return s }

// Bool reads a boolean field.
func (r Record) Bool(f string) bool { b, _ := r[f].(bool); return b }

// M2O reads a many2one: [id, "display name"] or false.
func (r Record) M2O(f string) int64 {
	if l, ok := r[f].([]any); ok && len(l) > 0 {
		n, _ := l[0].(int64)
		return n
	}
	n, _ := r[f].(int64) // JSON-2 may answer a bare id
	return n
}

// IDs reads a one2many/many2many: a list of ids.
func (r Record) IDs(f string) []int64 { ids, _ := asIDs(r[f]); return ids }
