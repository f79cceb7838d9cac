package demo

import (
	"fmt"

	"github.com/synco-dev/synco/odoosim"
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
	return &Simulator{Server: srv, URL: url}, nil
}
