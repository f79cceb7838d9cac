// Package e2e holds Synco's end-to-end tests: the real stages wired by package app,
// on the embedded Kafka (kfake) and schema registry, a real ClickHouse (chtest), and
// the Odoo simulator, driven through the real HTTP endpoints (signed webhooks in,
// the query API out). Nothing of ours is mocked. The tests live in *_test.go.
package e2e
