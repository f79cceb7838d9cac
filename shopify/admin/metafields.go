package admin

import (
	"context"
)

// Metafield is a metafield with the digest metafieldsSet compares against.
type Metafield = MetafieldFields

// Codes of metafieldsSet's user errors that matter to the write-back.
const (
	CodeStaleObject          = "STALE_OBJECT"
	CodeInvalidCompareDigest = "INVALID_COMPARE_DIGEST"
)

// OrderMetafield reads the order's metafield namespace.key; nil (and no error) when the
// order has none.
func (c *Client) OrderMetafield(ctx context.Context, orderID int64, namespace, key string) (*Metafield, error) {
	r, err := OrderMetafield(ctx, c, OrderGID(orderID), namespace, key)
	if err != nil {
		return nil, err
	}
	if r.Order == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "OrderMetafield", Status: 200, Code: CodeNotFound, Message: "no order " + OrderGID(orderID)}
	}
	if r.Order.Metafield == nil {
		return nil, nil
	}
	m := *r.Order.Metafield
	return &m, nil
}

// MetafieldWrite is one metafield to set.
type MetafieldWrite struct {
	OwnerID   string // global id of the owner, e.g. OrderGID(id)
	Namespace string
	Key       string
	Type      string // e.g. single_line_text_field
	Value     string
	// CompareDigest guards the write: the digest of the value read before (the write
	// fails with STALE_OBJECT if the metafield changed since), or nil to require that
	// the metafield does not exist yet. Writes are always guarded.
	CompareDigest *string
}

// SetMetafields writes up to 25 metafields atomically (metafieldsSet). A stale digest
// is a permanent *Error with Code STALE_OBJECT (HasCode): read the metafield again and
// decide; never retry the same digest.
func (c *Client) SetMetafields(ctx context.Context, writes []MetafieldWrite) ([]Metafield, error) {
	in := make([]MetafieldsSetInput, 0, len(writes))
	for _, w := range writes {
		ns, typ := w.Namespace, w.Type
		in = append(in, MetafieldsSetInput{OwnerId: w.OwnerID, Namespace: &ns, Key: w.Key, Type: &typ, Value: w.Value, CompareDigest: w.CompareDigest})
	}
	r, err := MetafieldsSet(ctx, c, in)
	if err != nil {
		return nil, err
	}
	p := r.MetafieldsSet
	if p == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "MetafieldsSet", Status: 200, Message: "no payload"}
	}
	var ues []UserError
	for _, u := range p.UserErrors {
		ue := UserError{Field: u.Field, Message: u.Message}
		if u.Code != nil {
			ue.Code = string(*u.Code)
		}
		ues = append(ues, ue)
	}
	if err := userErrors(c.cfg.Shop, "MetafieldsSet", ues); err != nil {
		if HasCode(err, "INTERNAL_ERROR") {
			err.(*Error).Retriable = true
		}
		return nil, err
	}
	out := make([]Metafield, 0, len(p.Metafields))
	for _, m := range p.Metafields {
		out = append(out, m)
	}
	return out, nil
}
