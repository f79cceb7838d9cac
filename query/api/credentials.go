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

// Credential routes: a shop's Admin API token and webhook secret can be stored in
// Synco (over the config file's), e.g. after the app was reinstalled or a token
// rotated, without a restart. They are write-only:
//
//   - GET /api/shops/{shop}/credentials → {"admin_api_token": {"stored": bool},
//     "webhook_secret": {"stored": bool}}, never a value; 409 when the stored ones
//     cannot be decrypted (the error says why).
//   - PUT with {"admin_api_token": "…", "webhook_secret": "…"}: a field left out
//     keeps its stored value, "" removes it (the config's applies again); answers as
//     GET. 409 when SYNCO_SECRET_KEY is not set: nothing is stored unencrypted.
func (s *server) credentialRoutes(api fiber.Router, sh string) {
	api.Get(sh+"/credentials", s.shop(s.getCredentials))
	api.Put(sh+"/credentials", s.shop(s.putCredentials))
}

type stored struct {
	Stored bool `json:"stored"`
}

func credentialsView(sec settings.ShopSecrets) fiber.Map {
	return fiber.Map{"admin_api_token": stored{sec.AdminAPIToken != ""}, "webhook_secret": stored{sec.WebhookSecret != ""}}
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
	if err != nil && (b.AdminAPIToken == nil || b.WebhookSecret == nil) {
		// Keeping a field needs the stored value; replacing both does not.
		return fail(c, fiber.StatusConflict, err.Error(), nil)
	}
	if b.AdminAPIToken != nil {
		sec.AdminAPIToken = strings.TrimSpace(*b.AdminAPIToken)
	}
	if b.WebhookSecret != nil {
		sec.WebhookSecret = strings.TrimSpace(*b.WebhookSecret)
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
	s.log.Info("credentials changed", "shop", shop, "by", token(c).name, "admin_api_token", b.AdminAPIToken != nil, "webhook_secret", b.WebhookSecret != nil)
	return c.JSON(credentialsView(sec))
}
