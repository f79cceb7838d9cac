package admin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"

	"github.com/synco-dev/synco/shopify/admin/schema"
)

// TestGeneratedCodeIsCurrent regenerates the client into a temp dir and compares: a
// changed operation or schema without `go generate` fails here.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	dir := t.TempDir()
	cfg, err := os.ReadFile("genqlient.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(".")
	out := filepath.Join(dir, "generated.go")
	c := strings.NewReplacer(
		"schema: schema/", "schema: "+filepath.Join(abs, "schema")+"/",
		"  - operations/", "  - "+filepath.Join(abs, "operations")+"/",
		"generated: generated.go", "generated: "+out,
	).Replace(string(cfg))
	if err := os.WriteFile(filepath.Join(dir, "genqlient.yaml"), []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "genqlient", filepath.Join(dir, "genqlient.yaml"))
	cmd.Dir = abs // the shopify module, where the tool is declared
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool genqlient: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	// genqlient names its input files in a comment; the paths differ, nothing else may.
	norm := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(abs+"/"), nil) }
	if !bytes.Equal(norm(got), norm(want)) {
		t.Fatal("generated.go is stale: run `go generate ./...` in the shopify module")
	}
}

func TestVersionIsPinnedOnce(t *testing.T) {
	if schema.Version != APIVersion || !strings.Contains(SchemaFile, APIVersion) {
		t.Fatalf("schema %s, file %s, client %s", schema.Version, SchemaFile, APIVersion)
	}
	if _, err := os.Stat(SchemaFile); err != nil {
		t.Fatal(err)
	}
}

// TestBulkQueryIsValid checks the bulk query against the schema as Shopify would.
func TestBulkQueryIsValid(t *testing.T) {
	s, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	q, err := BulkOrdersQuery(Window{Field: "updated_at", From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := gqlparser.LoadQuery(s, q); len(errs) > 0 {
		t.Fatalf("bulk query rejected: %v\n%s", errs, q)
	}
	for _, want := range []string{`orders(query: "updated_at:>='2025-01-01T00:00:00Z'", sortKey: UPDATED_AT)`, "lineItems {", "__typename", "originalUnitPriceSet"} {
		if !strings.Contains(q, want) {
			t.Errorf("bulk query lacks %q:\n%s", want, q)
		}
	}
	if strings.Contains(q, "...") {
		t.Errorf("bulk query still has fragment spreads:\n%s", q)
	}
}

func TestGID(t *testing.T) {
	g := OrderGID(820982911946154508)
	if g != "gid://shopify/Order/820982911946154508" {
		t.Fatal(g)
	}
	res, id, err := ParseGID("gid://shopify/ShippingLine/369256396?type=x")
	if err != nil || res != "ShippingLine" || id != 369256396 {
		t.Fatal(res, id, err)
	}
	for _, bad := range []string{"", "gid://shopify/Order/", "gid://shopify/Order/x", "gid://other/Order/1", "gid://shopify//1", "gid://shopify/Order/-3"} {
		if _, _, err := ParseGID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := LegacyID("gid://shopify/Order/9223372036854775807"); err != nil {
		t.Error(err)
	}
}

func TestWindowQuery(t *testing.T) {
	from := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))
	q, err := Window{Field: "created_at", From: from, To: from.Add(time.Hour)}.Query()
	if err != nil || q != "created_at:>='2025-03-01T11:00:00Z' created_at:<'2025-03-01T12:00:00Z'" {
		t.Fatalf("%q %v", q, err)
	}
	if _, err := (Window{Field: "processed_at"}).Query(); err == nil {
		t.Error("bad field accepted")
	}
}

func TestTopics(t *testing.T) {
	for rest, gql := range map[string]WebhookSubscriptionTopic{
		"orders/create": WebhookSubscriptionTopicOrdersCreate, "orders/partially_fulfilled": WebhookSubscriptionTopicOrdersPartiallyFulfilled,
		"refunds/create": WebhookSubscriptionTopicRefundsCreate, "app/uninstalled": WebhookSubscriptionTopicAppUninstalled,
	} {
		if got := TopicFromREST(rest); got != gql {
			t.Errorf("%s → %s, want %s", rest, got, gql)
		}
		if got := TopicToREST(gql); got != rest {
			t.Errorf("%s → %s, want %s", gql, got, rest)
		}
	}
}
