package order

import (
	"os"
	"testing"
)

// BenchmarkFromWebhook decodes Shopify's 12 KB sample orders/create body: the
// processor's cost per webhook event.
func BenchmarkFromWebhook(b *testing.B) {
	body, err := os.ReadFile("testdata/orders_create.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromWebhook(body); err != nil {
			b.Fatal(err)
		}
	}
}
