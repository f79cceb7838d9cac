package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/synco-dev/synco/schemas"
)

// TestOdooPasswordStoredThroughTheAPI: the Odoo password is rotated in Odoo and the new
// one stored through PUT /credentials: the next order syncs with it, without a
// restart and without touching the config (which keeps the old one); GET says it is
// stored, never what it is.
func TestOdooPasswordStoredThroughTheAPI(t *testing.T) {
	const oldPassword, newPassword = "odoo-old-pw-7Hq", "odoo-new-pw-Kx2"
	h := newHarnessWith(t, draftSaleOrders, oldPassword)
	h.secretKey = base64.StdEncoding.EncodeToString([]byte("e2e-secret-key-32-bytes-long!!!!"))
	h.start(allStages...)
	first := variant(t, 5_531_234_500_001, 5001, "2025-05-01T09:00:00Z", "2025-05-01T09:00:00Z", "paid")
	h.webhook("orders/create", "wh-c1", first.body(t))
	h.waitOrder(first.id(t), "synced with the config's password", status(schemas.StatusSynced))

	h.odoo.SetPassword(newPassword)
	code, b := h.apiDo(http.MethodPut, "/api/shops/"+shopDomain+"/credentials", map[string]string{"odoo_password": newPassword})
	if code != http.StatusOK || !strings.Contains(string(b), `"odoo_password":{"stored":true}`) {
		t.Fatalf("PUT credentials: %d %s", code, b)
	}
	if strings.Contains(string(b), newPassword) {
		t.Fatalf("the answer shows the password: %s", b)
	}
	second := variant(t, 5_531_234_500_002, 5002, "2025-05-01T10:00:00Z", "2025-05-01T10:00:00Z", "paid")
	h.webhook("orders/create", "wh-c2", second.body(t))
	h.waitOrder(second.id(t), "synced with the stored password", status(schemas.StatusSynced))
	if n := len(h.odoo.Records("sale.order")); n != 2 {
		t.Errorf("%d sale orders, want 2", n)
	}
}
