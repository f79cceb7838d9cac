// Package catalog reads, for each shop, what its settings pick from in the shop's Odoo
// (journals, income accounts, the most recent customers) and publishes it to the
// compacted topic synco.odoo.catalog, where the query service finds it. Stages meet
// only through Kafka: the settings screen never calls Odoo itself.
package catalog

import (
	"context"
	"fmt"
	"slices"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// DefaultPartnerLimit bounds the customers read per shop: the settings screen picks
// the "single customer" partner among the most recently created ones.
const DefaultPartnerLimit = 2000

// incomeTypes are the account_type values (Odoo 16+) of income accounts.
var incomeTypes = []any{"income", "income_other"}

// Read asks one shop's Odoo for its catalog, with at most partnerLimit customers
// (DefaultPartnerLimit when 0). It makes five calls (version, which is cached by the
// client, one fields_get and three search_read) with fields that Odoo 16 to 19 all
// have; the one difference, account.account's `deprecated` (16-18; 19 archives
// accounts with `active` instead, which search_read already honours), is looked up
// with fields_get rather than guessed from the version.
func Read(ctx context.Context, c odoo.Client, shop string, partnerLimit int) (schemas.OdooCatalog, error) {
	if partnerLimit <= 0 {
		partnerLimit = DefaultPartnerLimit
	}
	cat := schemas.OdooCatalog{Shop: shop, PartnersLimit: int32(partnerLimit),
		Journals: []schemas.OdooJournal{}, IncomeAccounts: []schemas.OdooAccount{}, Partners: []schemas.OdooPartner{}}
	v, err := c.Version(ctx)
	if err != nil {
		return cat, fmt.Errorf("odoo version: %w", err)
	}
	cat.OdooVersion = int32(v)

	// Journals: every active one (sales journal, payment journals); the screen filters by type.
	js, err := odoo.SearchRead(ctx, c, "account.journal", nil, []string{"name", "code", "type"}, nil)
	if err != nil {
		return cat, fmt.Errorf("journals: %w", err)
	}
	for _, j := range js {
		cat.Journals = append(cat.Journals, schemas.OdooJournal{ID: j.ID(), Name: j.String("name"), Code: j.String("code"), Type: j.String("type")})
	}

	domain := []any{[]any{"account_type", "in", incomeTypes}}
	hasDeprecated, err := hasField(ctx, c, "account.account", "deprecated")
	if err != nil {
		return cat, fmt.Errorf("income accounts: %w", err)
	}
	if hasDeprecated {
		domain = append(domain, []any{"deprecated", "=", false})
	}
	as, err := odoo.SearchRead(ctx, c, "account.account", domain, []string{"code", "name"}, map[string]any{"order": "code, id"})
	if err != nil {
		return cat, fmt.Errorf("income accounts: %w", err)
	}
	for _, a := range as {
		cat.IncomeAccounts = append(cat.IncomeAccounts, schemas.OdooAccount{ID: a.ID(), Code: a.String("code"), Name: a.String("name")})
	}

	ps, err := odoo.SearchRead(ctx, c, "res.partner", []any{[]any{"customer_rank", ">", 0}}, []string{"name", "email"},
		map[string]any{"order": "id desc", "limit": partnerLimit})
	if err != nil {
		return cat, fmt.Errorf("customers: %w", err)
	}
	for _, p := range ps {
		cat.Partners = append(cat.Partners, schemas.OdooPartner{ID: p.ID(), Name: p.String("name"), Email: p.String("email")})
	}
	return cat, nil
}

// hasField asks fields_get whether model has field (fields_get answers only the
// asked fields that exist).
func hasField(ctx context.Context, c odoo.Client, model, field string) (bool, error) {
	res, err := c.Call(ctx, model, "fields_get", []any{[]any{field}}, map[string]any{"attributes": []any{"type"}})
	if err != nil {
		return false, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return false, fmt.Errorf("%s.fields_get answered %T, not a dict", model, res)
	}
	_, ok = m[field]
	return ok, nil
}

// same reports whether two catalogs hold the same lists (refreshed_at aside).
func same(a, b schemas.OdooCatalog) bool {
	return a.Shop == b.Shop && a.OdooVersion == b.OdooVersion && a.PartnersLimit == b.PartnersLimit &&
		slices.Equal(a.Journals, b.Journals) && slices.Equal(a.IncomeAccounts, b.IncomeAccounts) && slices.Equal(a.Partners, b.Partners)
}
