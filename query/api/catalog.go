package api

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/synco-dev/synco/schemas"
)

// OdooCatalogs are the journals, income accounts and customers read from each shop's
// Odoo (the topic synco.odoo.catalog, materialised by query/catalog).
type OdooCatalogs interface {
	Get(shop string) (schemas.OdooCatalog, bool)
	Ready() bool // false while the topic is still being read
}

const maxPartners = 2000

// catalogOf answers the shop's catalog, or the 503 itself (ok false) when this query
// service has none to give yet. A shop whose Odoo has not been read yet has empty
// lists and refreshed_at null.
func (s *server) catalogOf(c *fiber.Ctx, shop string) (cat schemas.OdooCatalog, found, ok bool, err error) {
	switch {
	case s.d.Catalog == nil:
		return cat, false, false, fail(c, fiber.StatusServiceUnavailable, "this query service does not read the Odoo catalog", nil)
	case !s.d.Catalog.Ready():
		return cat, false, false, fail(c, fiber.StatusServiceUnavailable, "still reading the Odoo catalog, try again in a moment", nil)
	}
	cat, found = s.d.Catalog.Get(shop)
	return cat, found, true, nil
}

func refreshed(cat schemas.OdooCatalog, found bool) *string {
	if !found || cat.RefreshedAt.IsZero() {
		return nil
	}
	v := cat.RefreshedAt.UTC().Format(time.RFC3339)
	return &v
}

// GET /api/shops/{shop}/odoo/journals[?type=sale,bank]
func (s *server) odooJournals(c *fiber.Ctx, shop string) error {
	cat, found, ok, err := s.catalogOf(c, shop)
	if !ok {
		return err
	}
	var types []string
	for _, t := range strings.Split(c.Query("type"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			types = append(types, t)
		}
	}
	out := []schemas.OdooJournal{}
	for _, j := range cat.Journals {
		if len(types) == 0 || slices.Contains(types, j.Type) {
			out = append(out, j)
		}
	}
	return c.JSON(fiber.Map{"journals": out, "refreshed_at": refreshed(cat, found), "odoo_version": cat.OdooVersion})
}

// GET /api/shops/{shop}/odoo/accounts (income accounts)
func (s *server) odooAccounts(c *fiber.Ctx, shop string) error {
	cat, found, ok, err := s.catalogOf(c, shop)
	if !ok {
		return err
	}
	out := cat.IncomeAccounts
	if out == nil {
		out = []schemas.OdooAccount{}
	}
	return c.JSON(fiber.Map{"accounts": out, "refreshed_at": refreshed(cat, found), "odoo_version": cat.OdooVersion})
}

// GET /api/shops/{shop}/odoo/partners[?q=…&limit=N]: customers, the newest first; q
// matches name or email (case-insensitive). truncated says Odoo may have more
// customers than were read (the catalog keeps the most recent ones).
func (s *server) odooPartners(c *fiber.Ctx, shop string) error {
	limit := maxPartners
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPartners {
			return badRequest(c, "invalid limit", map[string]string{"limit": "must be a whole number from 1 to " + strconv.Itoa(maxPartners)})
		}
		limit = n
	}
	cat, found, ok, err := s.catalogOf(c, shop)
	if !ok {
		return err
	}
	q := strings.ToLower(strings.TrimSpace(c.Query("q")))
	out := []schemas.OdooPartner{}
	for _, p := range cat.Partners {
		if len(out) >= limit {
			break
		}
		if q == "" || strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(strings.ToLower(p.Email), q) {
			out = append(out, p)
		}
	}
	truncated := cat.PartnersLimit > 0 && len(cat.Partners) >= int(cat.PartnersLimit)
	return c.JSON(fiber.Map{"partners": out, "refreshed_at": refreshed(cat, found), "odoo_version": cat.OdooVersion, "truncated": truncated})
}
