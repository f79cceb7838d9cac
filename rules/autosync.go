package rules

import (
	"fmt"
	"time"

	"github.com/synco-dev/synco/schemas"
)

// ReasonAutoSyncOff is what the order table says of an order Shopify told us about
// while the shop's Auto Order Sync was off.
const ReasonAutoSyncOff = "Auto Order Sync is off"

// Held reports whether an event must not reach Odoo although the rules may let its
// order through: the shop's auto_sync is off and nobody asked for this order. Webhooks
// and reconciliation (which stands in for lost webhooks) are held; a forced event (a
// manual sync, a due retry) and the origins a person starts (backfill, replay) are not.
func Held(s *schemas.ShopSettings, origin string, force bool) bool {
	if s.AutoSync || force {
		return false
	}
	switch origin {
	case schemas.OriginBackfill, schemas.OriginManual, schemas.OriginReplay, schemas.OriginRetry, schemas.OriginPrivacy:
		return false
	}
	return true
}

// Reconcile bounds.
const (
	MinReconcileInterval = 5 * time.Minute
	MaxReconcileInterval = 24 * time.Hour
)

// ReconcileInterval is how often the shop is reconciled; 0 when its settings say
// "off". An empty value is the default (1 h); a bad one (Validate refuses it) too.
func ReconcileInterval(s *schemas.ShopSettings) time.Duration {
	d, err := parseInterval(s.ReconcileInterval)
	if err != nil {
		d, _ = parseInterval(schemas.DefaultReconcileInterval)
	}
	return d
}

func parseInterval(v string) (time.Duration, error) {
	switch v {
	case "off":
		return 0, nil
	case "":
		v = schemas.DefaultReconcileInterval
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf(`must be a duration such as "1h" or "30m", or "off"`)
	}
	if d < MinReconcileInterval || d > MaxReconcileInterval {
		return 0, fmt.Errorf("must be from %s to %s, or \"off\"", MinReconcileInterval, MaxReconcileInterval)
	}
	return d, nil
}
