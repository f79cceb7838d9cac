package schemas_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/synco-dev/synco/schemas"
)

// TestOdooCatalogRoundTrip: the Go type and the .avsc agree field by field.
func TestOdooCatalogRoundTrip(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	sc := set.Schema(schemas.SchemaForTopic(schemas.TopicOdooCatalog))
	if sc == nil {
		t.Fatal("no schema for the catalog topic")
	}
	in := schemas.OdooCatalog{
		Shop: "a.myshopify.com", RefreshedAt: time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.UTC), OdooVersion: 17,
		Journals:       []schemas.OdooJournal{{ID: 1, Name: "Customer Invoices", Code: "INV", Type: "sale"}},
		IncomeAccounts: []schemas.OdooAccount{{ID: 24, Code: "400000", Name: "Product Sales"}},
		Partners:       []schemas.OdooPartner{{ID: 9, Name: "Jane <b>Doe</b>", Email: "jane@example.com"}},
		PartnersLimit:  2000,
	}
	b, err := avro.Marshal(sc, in)
	if err != nil {
		t.Fatal(err)
	}
	var out schemas.OdooCatalog
	if err := avro.Unmarshal(sc, b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip\n got %+v\nwant %+v", out, in)
	}
}
