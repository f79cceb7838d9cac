package schemas_test

import (
	"os"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/synco-dev/synco/schemas"
)

// Settings stored before the tax, product and rounding settings existed read with
// their defaults: taxes are still created, no rounding line, Synco's own products.
func TestOlderSettingsReadWithDefaults(t *testing.T) {
	current, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	old, err := schemas.LoadFS(os.DirFS("."), "history/v1", []string{"shop_settings.avsc"})
	if err != nil {
		t.Fatal(err)
	}
	writer := old.Schema(schemas.ShopSettingsSchema)
	st := schemas.DefaultSettings("x.myshopify.com")
	st.UpdatedAt = time.UnixMilli(1_700_000_000_000).UTC()
	data, err := avro.Marshal(writer, st)
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := avro.NewSchemaCompatibility().Resolve(current.Schema(schemas.ShopSettingsSchema), writer)
	if err != nil {
		t.Fatal(err)
	}
	var got schemas.ShopSettings
	if err := avro.Unmarshal(resolved, data, &got); err != nil {
		t.Fatal(err)
	}
	if !got.CreateMissingTaxes || got.RoundingLine || got.Products != (schemas.ProductSettings{}) || got.GiftCardAccountID != 0 {
		t.Errorf("defaults of the new settings: %+v", got)
	}
	if got.PostedInvoiceEdits != schemas.PostedInvoiceWarn {
		t.Errorf("posted_invoice_edits of older settings: %q, want warn", got.PostedInvoiceEdits)
	}
	if got.Shop != "x.myshopify.com" || got.Create != schemas.CreateDraftSaleOrder {
		t.Errorf("older fields: %+v", got)
	}
}
