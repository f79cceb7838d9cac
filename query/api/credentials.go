package api

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/synco-dev/synco/platform/settings"
)

// SecretStore keeps the shops' credentials set through the API, sealed under
// SYNCO_SECRET_KEY in the settings topic (platform/settings).
type SecretStore interface {
	Secrets(shop string) (settings.ShopSecrets, error)
	PutSecrets(ctx context.Context, shop string, s settings.ShopSecrets) error
}

// Credential routes: a shop's Admin API token, webhook secret and Odoo password or API
// key can be stored in Synco (over the config file's), e.g. after the app was
// reinstalled or a password rotated, without a restart. They are write-only:
//
//   - GET /api/shops/{shop}/credentials → {"admin_api_token": {"stored": bool},
//     "webhook_secret": {...}, "odoo_password": {...}, "odoo_api_key": {...}}, never a
//     value; 409 when the stored ones cannot be decrypted (the error says why).
//   - PUT with any of those fields as strings: a field left out keeps its stored
//     value, "" removes it (the config's applies again); answers as GET. 409 when
//     SYNCO_SECRET_KEY is not set: nothing is stored unencrypted.
func (s *server) credentialRoutes(api fiber.Router, sh string) {
	api.Get(sh+"/credentials", s.shop(s.getCredentials))
	api.Put(sh+"/credentials", s.shop(s.putCredentials))
}

type stored struct {
	Stored bool `json:"stored"`
}

func credentialsView(sec settings.ShopSecrets) fiber.Map {
	return fiber.Map{"admin_api_token": stored{sec.AdminAPIToken != ""}, "webhook_secret": stored{sec.WebhookSecret != ""},
		"odoo_password": stored{sec.OdooPassword != ""}, "odoo_api_key": stored{sec.OdooAPIKey != ""}}
}

func (s *server) getCredentials(c *fiber.Ctx, shop string) error {
	if s.d.Secrets == nil {
		return fail(c, fiber.StatusServiceUnavailable, "this query service cannot store credentials", nil)
	}
	sec, err := s.d.Secrets.Secrets(shop)
	if err != nil {
		return fail(c, fiber.StatusConflict, err.Error(), nil)
	}
	return c.JSON(credentialsView(sec))
}

type credentialsBody struct {
	AdminAPIToken *string `json:"admin_api_token"`
	WebhookSecret *string `json:"webhook_secret"`
	OdooPassword  *string `json:"odoo_password"`
	OdooAPIKey    *string `json:"odoo_api_key"`
}

func (s *server) putCredentials(c *fiber.Ctx, shop string) error {
	if s.d.Secrets == nil {
		return fail(c, fiber.StatusServiceUnavailable, "this query service cannot store credentials", nil)
	}
	var b credentialsBody
	if fields, err := decodeStrict(c.Body(), &b); err != nil {
		return badRequest(c, err.Error(), fields)
	}
	sec, err := s.d.Secrets.Secrets(shop)
	fields := []struct {
		in, out *string
		trim    bool // a password may begin or end with a space; a token or secret does not
	}{{b.AdminAPIToken, &sec.AdminAPIToken, true}, {b.WebhookSecret, &sec.WebhookSecret, true},
		{b.OdooPassword, &sec.OdooPassword, false}, {b.OdooAPIKey, &sec.OdooAPIKey, true}}
	for _, f := range fields {
		if err != nil && f.in == nil {
			// Keeping a field needs the stored value; replacing every one does not.
			return fail(c, fiber.StatusConflict, err.Error(), nil)
		}
	}
	for _, f := range fields {
		switch {
		case f.in == nil:
		case f.trim:
			*f.out = strings.TrimSpace(*f.in)
		default:
			*f.out = *f.in
		}
	}
	ctx, cancel := reqCtx(c)
	defer cancel()
	if err := s.d.Secrets.PutSecrets(ctx, shop, sec); err != nil {
		if errors.Is(err, settings.ErrNoKey) {
			return fail(c, fiber.StatusConflict, err.Error(), nil)
		}
		s.log.Error("credentials not stored", "shop", shop, "err", err)
		return fail(c, fiber.StatusServiceUnavailable, "credentials not stored, try again", nil)
	}
	// Which fields changed, never their values.
	s.log.Info("credentials changed", "shop", shop, "by", token(c).name, "admin_api_token", b.AdminAPIToken != nil, "webhook_secret", b.WebhookSecret != nil,
		"odoo_password", b.OdooPassword != nil, "odoo_api_key", b.OdooAPIKey != nil)
	return c.JSON(credentialsView(sec))
}
