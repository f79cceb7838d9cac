package api

import (
	"slices"
	"sort"
	"strconv"

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

// previewOrder is one order whose eligibility the proposed settings change.
type previewOrder struct {
	OrderID string   `json:"order_id"`
	Name    string   `json:"name"`
	Reasons []string `json:"reasons"` // why it would not be eligible; empty when it becomes eligible
}

type previewExamples struct {
	BecomeEligible   []previewOrder `json:"become_eligible"`
	BecomeIneligible []previewOrder `json:"become_ineligible"`
}

type preview struct {
	Eligible   uint64          `json:"eligible"`
	Ineligible uint64          `json:"ineligible"`
	Changes    previewChanges  `json:"changes"`
	Examples   previewExamples `json:"examples"`
}

// previewExamplesMax is how many orders of each change the preview lists.
const previewExamplesMax = 5

// POST /api/shops/{shop}/settings/preview: the stored orders under the proposed
// settings, against the eligibility stored for them now, with a few orders of each
// change (the most recent ones).
func (s *server) previewSettings(c *fiber.Ctx, shop string) error {
	st, ok, err := readSettings(c, shop)
	if !ok {
		return err
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	var p preview
	var becomeEl, becomeInel []orders.Summary
	var inelReasons = map[int64][]string{}
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
			becomeEl = keepRecent(becomeEl, sm)
		case !d.Eligible && sm.Eligible:
			p.Changes.BecomeIneligible++
			becomeInel = keepRecent(becomeInel, sm)
			inelReasons[sm.Order.ID] = d.Reasons
		}
	})
	if err != nil {
		return s.internal(c, "could not read orders", err)
	}
	p.Examples.BecomeEligible = examples(becomeEl, nil)
	p.Examples.BecomeIneligible = examples(becomeInel, inelReasons)
	return c.JSON(p)
}

// keepRecent keeps the previewExamplesMax most recently created orders, newest first.
func keepRecent(list []orders.Summary, sm orders.Summary) []orders.Summary {
	i := sort.Search(len(list), func(i int) bool { return sm.Order.CreatedAt.After(list[i].Order.CreatedAt) })
	if i >= previewExamplesMax {
		return list
	}
	list = slices.Insert(list, i, sm)
	if len(list) > previewExamplesMax {
		list = list[:previewExamplesMax]
	}
	return list
}

func examples(list []orders.Summary, reasons map[int64][]string) []previewOrder {
	out := make([]previewOrder, 0, len(list))
	for _, sm := range list {
		r := reasons[sm.Order.ID]
		if r == nil {
			r = []string{}
		}
		out = append(out, previewOrder{OrderID: strconv.FormatInt(sm.Order.ID, 10), Name: sm.Order.Name, Reasons: r})
	}
	return out
}
