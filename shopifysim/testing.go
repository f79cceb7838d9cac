package shopifysim

import (
	"testing"

	"github.com/synco-dev/synco/shopify/admin"
)

// StartT is the setup tests of other packages repeat: a simulator with opts served on
// a loopback port until t ends, and an Admin API client of it. The client is cfg with
// the simulator's shop, token and endpoint where cfg leaves them empty, and limiters of
// its own unless cfg has some (tests must not share the process-wide buckets).
func StartT(t testing.TB, opts Options, cfg admin.Config) (*Sim, *admin.Client) {
	t.Helper()
	sim, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Shop == "" {
		cfg.Shop = sim.Shop()
	}
	if cfg.Token == "" {
		cfg.Token = sim.Token()
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = Endpoint(base)
	}
	if cfg.Limiters == nil {
		cfg.Limiters = admin.NewLimiters()
	}
	c, err := admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// Clients is a test's registry of Admin API clients, one per shop, as the code under
// test looks them up.
type Clients map[string]*admin.Client

func (c Clients) Client(shop string) (*admin.Client, bool) {
	cl, ok := c[shop]
	return cl, ok
}
