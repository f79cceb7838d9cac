//go:build record

package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/synco-dev/synco/sink/odoo"
)

// TestRecord re-records testdata/real<v>.json from the real Odoo servers of
// ../shared/odoo-server (started with `up.sh 16` … `up.sh 19`, on 127.0.0.1:80<v>):
//
//	go test -tags record -run TestRecord ./sink/catalog/
//
// It is a tool, not part of `make test` (which replays the files).
func TestRecord(t *testing.T) {
	for _, v := range []int{16, 17, 18, 19} {
		cl, err := odoo.Dial(context.Background(), odoo.Config{URL: fmt.Sprintf("http://127.0.0.1:80%d", v), DB: "synco",
			Username: "admin", Password: "admin", Protocol: "xmlrpc"})
		if err != nil {
			t.Fatalf("Odoo %d: %v (start it: ../shared/odoo-server/up.sh %d)", v, err, v)
		}
		seedCustomers(t, cl, v)
		rec := &recorder{Client: cl}
		cat, err := Read(context.Background(), rec, "real.myshopify.com", recordPartnerLimit)
		if err != nil {
			t.Fatalf("Odoo %d: %v", v, err)
		}
		out := recording{Version: v, Note: fmt.Sprintf("Read against the real Odoo %d of ../shared/odoo-server (XML-RPC), partner limit %d", v, recordPartnerLimit), Calls: rec.calls}
		b, err := json.MarshalIndent(out, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", fmt.Sprintf("real%d.json", v)), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("Odoo %d: %d journals, %d income accounts, %d customers", v, len(cat.Journals), len(cat.IncomeAccounts), len(cat.Partners))
	}
}

// seedCustomers makes sure the server has a few customers and a contact that is not
// a customer (customer_rank 0), found by their unique names, so the recording shows
// both. It adds them once; later runs find them.
func seedCustomers(t *testing.T, cl odoo.Client, v int) {
	ctx := context.Background()
	for i, p := range []struct {
		name, email string
		rank        int
	}{
		{"Synco catalog customer A", "catalog-a@example.com", 1},
		{"Synco catalog customer B", "", 1},
		{"Synco catalog contact (not a customer)", "catalog-c@example.com", 0},
	} {
		found, err := odoo.SearchRead(ctx, cl, "res.partner", []any{[]any{"name", "=", p.name}}, []string{"id"}, nil)
		if err != nil {
			t.Fatalf("Odoo %d: %v", v, err)
		}
		if len(found) > 0 {
			continue
		}
		vals := map[string]any{"name": p.name, "customer_rank": p.rank}
		if p.email != "" {
			vals["email"] = p.email
		}
		if _, err := odoo.Create(ctx, cl, "res.partner", vals, nil); err != nil {
			t.Fatalf("Odoo %d: partner %d: %v", v, i, err)
		}
	}
}
