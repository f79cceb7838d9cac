package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/synco-dev/synco/query/orders"
	"github.com/synco-dev/synco/query/views"
)

// GET /api/shops/{shop}/views
func (s *server) listViews(c *fiber.Ctx, shop string) error {
	ctx, cancel := reqCtx(c)
	defer cancel()
	vs, err := s.views.List(ctx, shop)
	if err != nil {
		return s.internal(c, "could not read saved views", err)
	}
	return c.JSON(fiber.Map{"views": vs})
}

type viewBody struct {
	Name    *string        `json:"name"`
	Filters *orders.Filter `json:"filters"`
}

// readView decodes and checks a view body; create requires the name.
func readView(c *fiber.Ctx, create bool) (b viewBody, fields map[string]string, msg string) {
	fields, err := decodeStrict(c.Body(), &b)
	if err != nil {
		return b, fields, err.Error()
	}
	fields = map[string]string{}
	if b.Name != nil || create {
		var name string
		if b.Name != nil {
			name = *b.Name
		}
		name, bad := views.CheckName(name)
		if bad != "" {
			fields["name"] = bad
		}
		b.Name = &name
	}
	if b.Filters != nil {
		for k, v := range b.Filters.Validate() {
			fields["filters."+k] = v
		}
	}
	if len(fields) > 0 {
		return b, fields, "invalid view"
	}
	return b, nil, ""
}

// POST /api/shops/{shop}/views
func (s *server) createView(c *fiber.Ctx, shop string) error {
	b, fields, msg := readView(c, true)
	if msg != "" {
		return badRequest(c, msg, fields)
	}
	var f orders.Filter
	if b.Filters != nil {
		f = *b.Filters
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	v, err := s.views.Create(ctx, shop, *b.Name, f)
	if err != nil {
		return s.internal(c, "could not save the view", err)
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *server) existingView(c *fiber.Ctx, shop string) (views.View, bool, error) {
	ctx, cancel := reqCtx(c)
	defer cancel()
	v, ok, err := s.views.Get(ctx, shop, c.Params("id"))
	if err != nil {
		return v, false, s.internal(c, "could not read the saved view", err)
	}
	if !ok {
		return v, false, fail(c, fiber.StatusNotFound, "view not found", nil)
	}
	return v, true, nil
}

// PATCH /api/shops/{shop}/views/{id}: name and/or filters (filters are replaced whole).
func (s *server) updateView(c *fiber.Ctx, shop string) error {
	b, fields, msg := readView(c, false)
	if msg != "" {
		return badRequest(c, msg, fields)
	}
	v, ok, err := s.existingView(c, shop)
	if !ok {
		return err
	}
	if b.Name != nil {
		v.Name = *b.Name
	}
	if b.Filters != nil {
		v.Filters = *b.Filters
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	if v, err = s.views.Update(ctx, shop, v); err != nil {
		return s.internal(c, "could not save the view", err)
	}
	return c.JSON(v)
}

// DELETE /api/shops/{shop}/views/{id}
func (s *server) deleteView(c *fiber.Ctx, shop string) error {
	v, ok, err := s.existingView(c, shop)
	if !ok {
		return err
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	if err := s.views.Delete(ctx, shop, v); err != nil {
		return s.internal(c, "could not delete the view", err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// POST /api/shops/{shop}/views/{id}/duplicate
func (s *server) duplicateView(c *fiber.Ctx, shop string) error {
	v, ok, err := s.existingView(c, shop)
	if !ok {
		return err
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	cp, err := s.views.Duplicate(ctx, shop, v)
	if err != nil {
		return s.internal(c, "could not save the view", err)
	}
	return c.Status(fiber.StatusCreated).JSON(cp)
}
