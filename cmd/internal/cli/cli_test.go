package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("shops: [{domain: nope.example.com, webhook_secret: x}]\n"), 0o644)
	noOdoo := filepath.Join(dir, "noodoo.yaml")
	os.WriteFile(noOdoo, []byte("shops: [{domain: a.myshopify.com, webhook_secret: x}]\n"), 0o644)
	badDelays := filepath.Join(dir, "delays.yaml")
	os.WriteFile(badDelays, []byte("sink: {retry_delays: [1m]}\n"), 0o644)
	badAck := filepath.Join(dir, "ack.yaml")
	os.WriteFile(badAck, []byte("ingest: {ack_timeout: 10s}\n"), 0o644)
	missingVar := filepath.Join(dir, "var.yaml")
	os.WriteFile(missingVar, []byte("shops: [{domain: a.myshopify.com, webhook_secret: ${SYNCO_TEST_UNSET_SECRET}}]\n"), 0o644)
	for name, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"version":              {[]string{"version"}, 0, "synco"},
		"help":                 {[]string{"help"}, 0, "Usage"},
		"no command":           {nil, 2, "no command"},
		"unknown command":      {[]string{"frobnicate"}, 2, "unknown command"},
		"sink without kind":    {[]string{"sink"}, 2, "odoo or clickhouse"},
		"unknown flag":         {[]string{"query", "--nope"}, 2, "nope"},
		"config file missing":  {[]string{"--config", filepath.Join(dir, "none.yaml"), "query"}, 2, "none.yaml"},
		"bad config":           {[]string{"--config", bad, "query"}, 2, "shops[0].domain"},
		"missing env var":      {[]string{"--config", missingVar, "query"}, 2, "SYNCO_TEST_UNSET_SECRET"},
		"backfill no shop":     {[]string{"backfill", "--from", "2026-01-01"}, 2, "--shop"},
		"backfill bad date":    {[]string{"backfill", "--shop", "demo.myshopify.com", "--from", "yesterday"}, 2, "YYYY-MM-DD"},
		"backfill no token":    {[]string{"backfill", "--shop", "demo.myshopify.com", "--from", "2026-01-01"}, 2, "admin_api_token"},
		"reconcile no token":   {[]string{"reconcile", "--shop", "demo.myshopify.com"}, 2, "admin_api_token"},
		"replay unknown shop":  {[]string{"replay", "--shop", "nope.myshopify.com"}, 2, "not in the config"},
		"force not replay":     {[]string{"backfill", "--shop", "demo.myshopify.com", "--from", "2026-01-01", "--force"}, 2, "--force"},
		"backfill to < from":   {[]string{"backfill", "--shop", "demo.myshopify.com", "--from", "2026-02-01", "--to", "2026-01-01"}, 2, "before"},
		"sim bad version":      {[]string{"odoo-sim", "--version", "15"}, 2, "15"},
		"config after command": {[]string{"query", "--config", bad}, 2, "shops[0].domain"},
		"config= form":         {[]string{"query", "--config=" + bad}, 2, "shops[0].domain"},
		"config no value":      {[]string{"query", "--config"}, 2, "--config needs a file"},
		"help command":         {[]string{"help", "sink", "odoo"}, 0, "retry_delays"},
		"help unknown":         {[]string{"help", "frob"}, 2, "unknown command"},
		"command -h":           {[]string{"processor", "-h"}, 0, "rules"},
		"no odoo url":          {[]string{"--config", noOdoo, "query"}, 2, "shops[0].odoo.url"},
		"bad retry delays":     {[]string{"--config", badDelays, "query"}, 2, "sink.retry_delays"},
		"bad ack timeout":      {[]string{"--config", badAck, "query"}, 2, "ingest.ack_timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Chdir(dir) // no synco.yaml here: the demo config applies
			code, out, errs := runMain(t, map[string]string{"SYNCO_CONFIG": ""}, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errs)
			}
			if !strings.Contains(out+errs, c.want) {
				t.Errorf("output does not say %q: %q %q", c.want, out, errs)
			}
		})
	}
}
