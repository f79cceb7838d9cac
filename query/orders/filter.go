// Package orders reads the order table (ClickHouse `orders` and `order_counts`) and the sync history
// (`sync_events`) for the query API: filters, keyset paging, search, counts.
package orders

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Values the order table accepts (CONTRACT.md, Query HTTP).
var (
	Tabs     = []string{"all", "synced", "not_synced", "eligible", "sale_order", "invoice"}
	Statuses = []string{"synced", "not_synced", "in_progress", "delayed", "failed", "needs_attention"}
	IDTypes  = []string{"odoo", "invoice"}
	Sorts    = []string{"order", "customer", "date", "total"}
	Dirs     = []string{"asc", "desc"}
)

// MaxQueryLen bounds the search text.
const MaxQueryLen = 200

// Filter is what narrows and orders the table: the query parameters of
// GET /api/shops/{shop}/orders and the filters a saved view keeps.
type Filter struct {
	Tab    string `json:"tab"`
	Status string `json:"status"`
	IDType string `json:"id_type"`
	Q      string `json:"q"`
	Sort   string `json:"sort"`
	Dir    string `json:"dir"`
}

// FieldErrors names each bad input (field → what is wrong).
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + fe[k]
	}
	return strings.Join(parts, "; ")
}

// Override returns f with every non-empty field of o laid over it.
func (f Filter) Override(o Filter) Filter {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&f.Tab, o.Tab)
	set(&f.Status, o.Status)
	set(&f.IDType, o.IDType)
	set(&f.Q, o.Q)
	set(&f.Sort, o.Sort)
	set(&f.Dir, o.Dir)
	return f
}

// Validate reports the bad fields of f (nil when valid). Empty fields are allowed:
// Normalized fills them in.
func (f Filter) Validate() FieldErrors {
	fe := FieldErrors{}
	oneOf := func(field, v string, known []string) {
		if v != "" && !slices.Contains(known, v) {
			fe[field] = fmt.Sprintf("must be one of %s", strings.Join(known, ", "))
		}
	}
	oneOf("tab", f.Tab, Tabs)
	oneOf("status", f.Status, Statuses)
	oneOf("id_type", f.IDType, IDTypes)
	oneOf("sort", f.Sort, Sorts)
	oneOf("dir", f.Dir, Dirs)
	q := strings.TrimSpace(f.Q)
	if len(q) > MaxQueryLen {
		fe["q"] = fmt.Sprintf("must be at most %d characters", MaxQueryLen)
	} else if f.IDType == "invoice" && q != "" {
		if _, ok := parseID(q); !ok {
			fe["q"] = "must be an Odoo invoice id (a number) when id_type is invoice"
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Normalized fills in the defaults: tab all, sort date, dir desc for date, order and
// total and asc for customer; q is trimmed.
func (f Filter) Normalized() Filter {
	if f.Tab == "" {
		f.Tab = "all"
	}
	if f.Sort == "" {
		f.Sort = "date"
	}
	if f.Dir == "" {
		f.Dir = "desc"
		if f.Sort == "customer" {
			f.Dir = "asc"
		}
	}
	f.Q = strings.TrimSpace(f.Q)
	return f
}

// parseID reads a positive id, allowing a leading '#'.
func parseID(s string) (uint64, bool) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	return n, err == nil && n > 0
}

// conditions builds the filter's conditions (after Normalized) and their arguments:
// dims are on the columns that orders and order_counts share (chstore.CountDims), so
// they serve both; search is the q condition, on orders only ("" without q).
func (f Filter) conditions() (dims []string, dimArgs []any, search string, searchArgs []any) {
	switch f.Tab {
	case "synced":
		dims = append(dims, "status = 'synced'")
	case "not_synced":
		dims = append(dims, "status != 'synced'")
	case "eligible":
		dims = append(dims, "eligible = 1")
	case "sale_order":
		dims = append(dims, "odoo_model = 'sale.order'")
	case "invoice":
		dims = append(dims, "(has_invoice = 1 OR odoo_model = 'account.move')")
	}
	if f.Status != "" {
		dims = append(dims, "status = ?")
		dimArgs = append(dimArgs, f.Status)
	}
	q := f.Q
	if q == "" {
		return dims, dimArgs, "", nil
	}
	id, numeric := parseID(q)
	switch f.IDType {
	case "odoo":
		if numeric {
			return dims, dimArgs, "odoo_id = ?", []any{id}
		}
		return dims, dimArgs, "positionCaseInsensitiveUTF8(odoo_name, ?) > 0", []any{q}
	case "invoice":
		return dims, dimArgs, "invoice_id = ?", []any{id}
	}
	if strings.Contains(q, "\n") {
		// The searched fields are one per line in orders.search: a search over a line
		// break goes through each field.
		search = "(positionCaseInsensitiveUTF8(order_name, ?) > 0 OR positionCaseInsensitiveUTF8(email, ?) > 0" +
			" OR positionCaseInsensitiveUTF8(customer, ?) > 0 OR positionCaseInsensitiveUTF8(odoo_name, ?) > 0"
		searchArgs = []any{q, q, q, q}
	} else {
		// orders.search is the lower-cased fields; LIKE is the fastest substring test
		// on 18.16, with its wildcards escaped.
		search = "(search LIKE concat('%', lowerUTF8(?), '%')"
		searchArgs = []any{likeEscaper.Replace(q)}
	}
	if numeric {
		search += " OR odoo_id = ? OR invoice_id = ? OR order_id = ?"
		searchArgs = append(searchArgs, id, id, id)
	}
	return dims, dimArgs, search + ")", searchArgs
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
