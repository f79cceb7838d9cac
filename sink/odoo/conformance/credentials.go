package conformance

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/sink/odoo"
)

// RunStoredCredentials checks, on the Odoo of cfg (its real login), how the Sink logs
// in with a login stored through the API: with the config's password wrong and the
// real one stored, an order lands; with the stored one removed, the config's wrong
// password is what Odoo refuses, a permanent error (not a retry).
func RunStoredCredentials(t *testing.T, tg Target, cfg odoo.Config) {
	t.Helper()
	e := &Env{t: t, ctx: context.Background(), c: tg.Client, Version: tg.Version, Run: time.Now().UnixMilli() % 1_000_000_000, scenario: 97}
	var mu sync.Mutex
	stored := odoo.Credentials{Password: cfg.Password, APIKey: cfg.APIKey}
	wrong := cfg
	wrong.Password, wrong.APIKey = "synco-not-the-password", ""
	if cfg.APIKey != "" {
		wrong.APIKey = "synco-not-the-api-key"
	}
	s := odoo.NewSink(map[string]odoo.Config{Shop: wrong}, odoo.WithStoredCredentials(func(string) (odoo.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		return stored, nil
	}))
	apply := func(n int) (odoo.Result, error) {
		o := finish(order(e, n, []schemas.LineItem{item("CONF-CRED", "Credentials widget", 1, "9.00")}))
		return s.Apply(e.ctx, &schemas.OrderSync{CommandID: fmt.Sprintf("conf-cred-%d", o.ID), Shop: Shop, OrderID: o.ID,
			Version: o.UpdatedAt.UnixMilli(), Seq: 1, SaleOrder: schemas.SaleOrderDraft, Invoice: schemas.InvoiceNone,
			Settings: schemas.DefaultSettings(Shop), Order: o})
	}
	res, err := apply(0)
	if err != nil || res.ID == 0 {
		t.Fatalf("with the stored login: %+v, %v", res, err)
	}
	if st := e.text("sale.order", res.ID, "state"); st != "draft" {
		t.Errorf("sale order %d is %q, want draft", res.ID, st)
	}
	mu.Lock()
	stored = odoo.Credentials{}
	mu.Unlock()
	if _, err := apply(1); err == nil || !odoo.IsPermanent(err) {
		t.Errorf("with the config's wrong password: %v, want a permanent login error", err)
	}
}
