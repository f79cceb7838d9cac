package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/synco-dev/synco/platform/config"
	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/query/api"
	"github.com/synco-dev/synco/schemas"
)

type fakeSecrets struct {
	mu    sync.Mutex
	m     map[string]settings.ShopSecrets
	noKey bool
}

func (f *fakeSecrets) Secrets(shop string) (settings.ShopSecrets, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[shop], nil
}

func (f *fakeSecrets) PutSecrets(_ context.Context, shop string, s settings.ShopSecrets) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noKey {
		return settings.ErrNoKey
	}
	f.m[shop] = s
	return nil
}

func TestCredentialsAreWriteOnly(t *testing.T) {
	sec := &fakeSecrets{m: map[string]settings.ShopSecrets{}}
	e := &env{t: t, requests: &fakeRequester{}}
	e.app = api.New(api.Deps{Tokens: []config.APIToken{{Token: adminToken, Shops: []string{"*"}}}, Shops: []string{shopA},
		Settings: &fakeSettings{m: map[string]schemas.ShopSettings{}}, Requests: e.requests, Secrets: sec})
	path := "/api/shops/" + shopA + "/credentials"
	type view struct {
		Token  struct{ Stored bool } `json:"admin_api_token"`
		Secret struct{ Stored bool } `json:"webhook_secret"`
	}
	var v view
	e.call("GET", path, nil, 200, &v)
	if v.Token.Stored || v.Secret.Stored {
		t.Errorf("nothing stored yet: %+v", v)
	}
	b := e.call("PUT", path, map[string]any{"admin_api_token": "shpat_very_secret", "webhook_secret": "whsec_very_secret"}, 200, &v)
	if !v.Token.Stored || !v.Secret.Stored || strings.Contains(string(b), "very_secret") {
		t.Errorf("PUT answered %s", b)
	}
	if got := sec.m[shopA]; got.AdminAPIToken != "shpat_very_secret" || got.WebhookSecret != "whsec_very_secret" {
		t.Errorf("stored %+v", got)
	}
	// One field changed, the other kept; "" removes.
	e.call("PUT", path, map[string]any{"admin_api_token": "shpat_next"}, 200, &v)
	if got := sec.m[shopA]; got.AdminAPIToken != "shpat_next" || got.WebhookSecret != "whsec_very_secret" {
		t.Errorf("partial PUT stored %+v", got)
	}
	e.call("PUT", path, map[string]any{"webhook_secret": ""}, 200, &v)
	if v.Secret.Stored || !v.Token.Stored {
		t.Errorf("after removing the secret: %+v", v)
	}
	if b := e.call("GET", path, nil, 200, nil); strings.Contains(string(b), "shpat_next") {
		t.Errorf("GET shows a value: %s", b)
	}
	// The Odoo login: a password is kept as given (spaces are part of it), an API key
	// trimmed like the tokens; neither is ever shown.
	var ov struct {
		Password struct{ Stored bool } `json:"odoo_password"`
		APIKey   struct{ Stored bool } `json:"odoo_api_key"`
	}
	b = e.call("PUT", path, map[string]any{"odoo_password": " odoo pw ", "odoo_api_key": " key-very-secret\n"}, 200, &ov)
	if !ov.Password.Stored || !ov.APIKey.Stored || strings.Contains(string(b), "odoo pw") || strings.Contains(string(b), "very-secret") {
		t.Errorf("PUT of the Odoo login answered %s", b)
	}
	if got := sec.m[shopA]; got.OdooPassword != " odoo pw " || got.OdooAPIKey != "key-very-secret" || got.AdminAPIToken != "shpat_next" {
		t.Errorf("stored %+v", got)
	}
	e.call("PUT", path, map[string]any{"odoo_api_key": ""}, 200, &ov)
	if !ov.Password.Stored || ov.APIKey.Stored {
		t.Errorf("after removing the API key: %+v", ov)
	}
	e.expectError("PUT", path, map[string]any{"password": "x"}, 400, "password")
	sec.noKey = true
	if eb := e.expectError("PUT", path, map[string]any{"admin_api_token": "x"}, 409, ""); !strings.Contains(eb.Error, "SYNCO_SECRET_KEY") {
		t.Errorf("without a key: %q", eb.Error)
	}
}
