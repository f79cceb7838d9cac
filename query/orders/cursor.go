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

// sortColumn is how one `sort` value orders rows: the column (empty: the order id
// alone), its bucket (chstore.SortKey), how a cursor's text key binds back into SQL
// (wrapped by ph for the key's type), and how a row gives its key.
type sortColumn struct {
	expr    string
	key     chstore.SortKey
	keyText string // the key as text, for the first step of a page
	ph      string
	bind    func(string) (any, error)
	keyOf   func(r *row) string
}

var sortColumns = map[string]sortColumn{
	// Shopify order ids grow with the order number, and unlike the name ("#999" vs
	// "#1000") they sort numerically.
	"order": {key: chstore.SortByOrder, keyText: "''"},
	"customer": {
		expr:    "customer_key", // lowerUTF8(customer)
		key:     chstore.SortByCustomer,
		keyText: "customer_key",
		ph:      "?",
		bind:    func(s string) (any, error) { return s, nil },
		keyOf:   func(r *row) string { return r.SortKey },
	},
	"date": {
		expr:    "created_at",
		key:     chstore.SortByDate,
		keyText: "toString(toUInt32(created_at))",
		ph:      "toDateTime(?)",
		bind:    func(s string) (any, error) { return strconv.ParseInt(s, 10, 64) },
		keyOf: func(r *row) string {
			return strconv.FormatInt(r.CreatedAt.Unix(), 10)
		},
	},
	"total": {
		// total_key is total in ten-thousandths as an Int64: 18.16 sorts Decimal
		// columns ~50x slower than integers.
		expr:    "total_key",
		key:     chstore.SortByTotal,
		keyText: "toString(total_key)",
		ph:      "toInt64(?)",
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
