package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/sink/odoo"
)

// SimulatorAddr is where `synco all` starts the bundled Odoo simulator for the shops
// whose config asks for it (`odoo: {simulator: true}`, as the demo store does).
const SimulatorAddr = "127.0.0.1:18069"

// Simulator is a running bundled Odoo (in memory: what it holds is gone when the
// process stops, which is why no shop gets it without asking).
type Simulator struct {
	*odoosim.Server
	URL string
}

// StartSimulator starts an Odoo simulator of the given version (16-19) on addr.
func StartSimulator(addr string, version int) (*Simulator, error) {
	switch version {
	case 16, 17, 18, 19:
	default:
		return nil, fmt.Errorf("odoo simulator: version %d is not 16, 17, 18 or 19", version)
	}
	srv := odoosim.New(odoosim.Options{Version: version})
	url, err := srv.Start(addr)
	if err != nil {
		return nil, fmt.Errorf("odoo simulator on %s: %w", addr, err)
	}
	if err := seedRates(url); err != nil {
		srv.Close()
		return nil, fmt.Errorf("odoo simulator on %s: %w", addr, err)
	}
	return &Simulator{Server: srv, URL: url}, nil
}

// demoEURRate is the demo company's EUR rate (EUR per USD), so that the EUR store's
// orders are converted as a real company with rates converts them, not at 1.
const demoEURRate = 0.92

// seedRates gives the simulator's (USD) company today's EUR rate, as an accountant
// (or Odoo's rate provider) would.
func seedRates(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := odoo.NewXMLRPC(url, "synco", "admin", "admin")
	eur, err := odoo.SearchRead(ctx, c, "res.currency", []any{[]any{"name", "=", "EUR"}, []any{"active", "in", []any{true, false}}}, []string{"id"}, nil)
	if err != nil || len(eur) == 0 {
		return fmt.Errorf("find EUR: %v (%d)", err, len(eur))
	}
	if _, err := odoo.Create(ctx, c, "res.currency.rate", map[string]any{"currency_id": eur[0].ID(), "rate": demoEURRate}, nil); err != nil {
		return fmt.Errorf("EUR rate: %w", err)
	}
	return nil
}
