package privacy

import (
	"context"
	"slices"
	"testing"

	"github.com/synco-dev/synco/platform/settings"
	"github.com/synco-dev/synco/schemas"
)

type fakeSettings struct {
	st      schemas.ShopSettings
	secrets []settings.ShopSecrets
}

func (f *fakeSettings) Effective(string) schemas.ShopSettings { return f.st }
func (f *fakeSettings) Put(_ context.Context, st schemas.ShopSettings) error {
	f.st = st
	return nil
}
func (f *fakeSettings) PutSecrets(_ context.Context, _ string, s settings.ShopSecrets) error {
	f.secrets = append(f.secrets, s)
	return nil
}

type fakeStored struct {
	byEmail map[string][]int64
	all     []int64
	deleted bool
	jobs    bool
}

func (f *fakeStored) OrdersOf(_ context.Context, _, email string) ([]int64, error) {
	if email == "" {
		return f.all, nil
	}
	return f.byEmail[email], nil
}
func (f *fakeStored) DeleteShop(context.Context, string) error { f.deleted = true; return nil }
func (f *fakeStored) DeleteJobs(context.Context, string) error { f.jobs = true; return nil }

func TestHandle(t *testing.T) {
	ctx := context.Background()
	const shop = "p.myshopify.com"
	st := &fakeSettings{st: schemas.DefaultSettings(shop)}
	stored := &fakeStored{byEmail: map[string][]int64{"ada@example.com": {2, 3}}, all: []int64{1, 2, 3, 4}}
	var sent []*schemas.OrderEvent
	h := &Handler{Settings: st, Stored: stored, Emit: func(_ context.Context, evs []*schemas.OrderEvent) error { sent = append(sent, evs...); return nil }}

	// Shopify's sample payloads (ids as numbers, some above 2^53).
	if err := h.Handle(ctx, shop, CustomersRedact, []byte(`{"shop_id":954889,"shop_domain":"p.myshopify.com","customer":{"id":191167,"email":"ada@example.com","phone":"555-625-1199"},"orders_to_redact":[1,9007199254740993]}`)); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, ev := range sent {
		ids = append(ids, ev.OrderID)
		if ev.Origin != schemas.OriginPrivacy || !ev.Force || ev.Shop != shop || ev.Topic != CustomersRedact {
			t.Errorf("event %+v", ev)
		}
	}
	slices.Sort(ids)
	// The rows follow through the processor's privacy outcomes (the ClickHouse sink).
	if want := []int64{1, 2, 3, 9007199254740993}; !slices.Equal(ids, want) {
		t.Errorf("redacted %v, want %v", ids, want)
	}
	sent = nil
	if err := h.Handle(ctx, shop, CustomersDataRequest, []byte(`{"customer":{"id":1},"orders_requested":[1],"data_request":{"id":9}}`)); err != nil || len(sent) != 0 {
		t.Errorf("data request: %v, %d events", err, len(sent))
	}
	if err := h.Handle(ctx, shop, CustomersRedact, []byte(`not json`)); err != nil {
		t.Errorf("an unreadable body is not worth Shopify's retries: %v", err)
	}
	if err := h.Handle(ctx, shop, AppUninstalled, []byte(`{}`)); err != nil || st.st.AutoSync {
		t.Errorf("uninstall: %v, auto sync %v", err, st.st.AutoSync)
	}
	if stored.deleted {
		t.Error("an uninstall deleted data")
	}
	if err := h.Handle(ctx, shop, ShopRedact, []byte(`{"shop_id":954889,"shop_domain":"p.myshopify.com"}`)); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 4 || !stored.deleted || !stored.jobs || len(st.secrets) != 1 || st.secrets[0] != (settings.ShopSecrets{}) {
		t.Errorf("shop redact: %d events, deleted %v, jobs %v, secrets %v", len(sent), stored.deleted, stored.jobs, st.secrets)
	}
}
