package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/rules"
	"github.com/synco-dev/synco/schemas"
)

func (s *server) current(shop string) schemas.ShopSettings {
	if st, ok := s.d.Settings.Get(shop); ok {
		return st
	}
	return schemas.DefaultSettings(shop)
}

// GET /api/shops/{shop}/settings
func (s *server) getSettings(c *fiber.Ctx, shop string) error {
	return c.JSON(s.current(shop))
}

// readSettings decodes a settings body the way the config file does: onto the
// defaults (a field left out takes its default), refusing unknown fields, then
// validates it. It answers the 400 itself when the body is bad (ok false).
func readSettings(c *fiber.Ctx, shop string) (st schemas.ShopSettings, ok bool, err error) {
	st = schemas.DefaultSettings(shop)
	if fields, derr := decodeStrict(c.Body(), &st); derr != nil {
		return st, false, badRequest(c, derr.Error(), fields)
	}
	if fields := rules.Validate(&st); len(fields) > 0 {
		return st, false, badRequest(c, "invalid settings", fields)
	}
	return st, true, nil
}

// PUT /api/shops/{shop}/settings
func (s *server) putSettings(c *fiber.Ctx, shop string) error {
	st, ok, err := readSettings(c, shop)
	if !ok {
		return err
	}
	old := s.current(shop)
	st.Shop = shop
	st.Revision = old.Revision + 1
	ctx, cancel := reqCtx(c)
	defer cancel()
	if err := s.d.Settings.Put(ctx, st); err != nil {
		s.log.Error("settings not published", "shop", shop, "err", err)
		return fail(c, fiber.StatusServiceUnavailable, "settings not saved, try again: "+err.Error(), nil)
	}
	s.log.Info("settings changed", "shop", shop, "by", token(c).name, "revision", st.Revision)
	return c.JSON(st)
}

type previewChanges struct {
	BecomeEligible   uint64 `json:"become_eligible"`
	BecomeIneligible uint64 `json:"become_ineligible"`
}

type preview struct {
	Eligible   uint64         `json:"eligible"`
	Ineligible uint64         `json:"ineligible"`
	Changes    previewChanges `json:"changes"`
}

// POST /api/shops/{shop}/settings/preview: the stored orders under the proposed
// settings, against the eligibility stored for them now.
func (s *server) previewSettings(c *fiber.Ctx, shop string) error {
	st, ok, err := readSettings(c, shop)
	if !ok {
		return err
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	var p preview
	err = s.orders.EachSummary(ctx, shop, func(sm orders.Summary) {
		d := rules.Evaluate(&st, &sm.Order)
		switch {
		case d.Eligible:
			p.Eligible++
		default:
			p.Ineligible++
		}
		switch {
		case d.Eligible && !sm.Eligible:
			p.Changes.BecomeEligible++
		case !d.Eligible && sm.Eligible:
			p.Changes.BecomeIneligible++
		}
	})
	if err != nil {
		return s.internal(c, "could not read orders", err)
	}
	return c.JSON(p)
}
