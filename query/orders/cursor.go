package orders

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/platform/chstore"
)

// cursor is the position of a page edge in the keyset (sort key, order id). It is
// opaque to clients: base64url JSON. Keyset paging (rather than offsets) keeps pages
// stable while new orders arrive.
type cursor struct {
	Sort   string `json:"s"`
	Dir    string `json:"d"`
	Key    string `json:"k,omitempty"` // the sort column's value, as text
	ID     uint64 `json:"i"`
	Before bool   `json:"b,omitempty"` // rows before this position (prev_cursor)
}

var errCursor = errors.New("is not a cursor this API handed out")

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, f Filter) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, errCursor
	}
	if err := json.Unmarshal(b, &c); err != nil || c.ID == 0 {
		return c, errCursor
	}
	if c.Sort != f.Sort || c.Dir != f.Dir {
		return c, errors.New("belongs to another sort order: start again without a cursor")
	}
	col := sortColumns[c.Sort]
	if col.bind != nil {
		if _, err := col.bind(c.Key); err != nil {
			return c, errCursor
		}
	}
	return c, nil
}

// sortColumn is how one `sort` value orders rows: its key (chstore.SortKey), how a
// cursor's text key binds back into SQL as that key, and how a row gives its text key
// (none for sort=order: the order id is the key).
type sortColumn struct {
	key   chstore.SortKey
	bind  func(string) (any, error)
	keyOf func(r *row) string
}

var sortColumns = map[string]sortColumn{
	// Shopify order ids grow with the order number, and unlike the name ("#999" vs
	// "#1000") they sort numerically.
	"order": {key: chstore.SortByOrder},
	"customer": {
		key:   chstore.SortByCustomer, // lowerUTF8(customer)
		bind:  func(s string) (any, error) { return s, nil },
		keyOf: func(r *row) string { return r.SortKey },
	},
	"date": {
		key:  chstore.SortByDate, // seconds since 1970
		bind: func(s string) (any, error) { return strconv.ParseInt(s, 10, 64) },
		keyOf: func(r *row) string {
			return strconv.FormatInt(r.CreatedAt.Unix(), 10)
		},
	},
	"total": {
		key: chstore.SortByTotal, // in ten-thousandths
		bind: func(s string) (any, error) {
			d, err := decimal.NewFromString(s)
			if err != nil {
				return nil, err
			}
			units := d.Shift(4)
			if !units.IsInteger() || units.Abs().GreaterThanOrEqual(decimal.New(1, 18)) {
				return nil, errCursor
			}
			return units.IntPart(), nil
		},
		keyOf: func(r *row) string { return r.Total.String() },
	},
}
