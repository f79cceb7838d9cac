//go:build conformance

package conformance

import "testing"

// TestReal runs the scenarios against the real Odoo of RealFromEnv.
func TestReal(t *testing.T) {
	_, tg := RealFromEnv(t)
	calls := Run(t, tg)
	ReportCalls(t, calls)
}

// TestRealBatch sends batches of new orders through the Sink to the same Odoo as
// TestReal (see RunBatch): the batch's list calls as real Odoo takes them.
func TestRealBatch(t *testing.T) {
	cfg, tg := RealFromEnv(t)
	RunBatch(t, tg, cfg)
}

// TestRealStoredCredentials: a login stored through the API, as real Odoo takes it
// (RunStoredCredentials).
func TestRealStoredCredentials(t *testing.T) {
	cfg, tg := RealFromEnv(t)
	RunStoredCredentials(t, tg, cfg)
}
