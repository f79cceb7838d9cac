package conformance

import (
	"context"
	"fmt"
	"testing"

	"github.com/synco-dev/synco/odoosim"
	"github.com/synco-dev/synco/sink/odoo"
)

// The scenarios on the simulator, every version, 19 over both transports. What real
// Odoo answers for the same scenarios is checked by `make conformance`
// (real_test.go); the simulator must agree with it.
func TestSimulator(t *testing.T) {
	for _, tc := range []struct {
		version  int
		protocol string
	}{{16, "xmlrpc"}, {17, "xmlrpc"}, {18, "xmlrpc"}, {19, "xmlrpc"}, {19, "json2"}} {
		t.Run(fmt.Sprintf("%d-%s", tc.version, tc.protocol), func(t *testing.T) {
			sim := odoosim.New(odoosim.Options{Version: tc.version, DB: "synco", Login: "admin", Password: "admin", APIKey: "sim-key"})
			url, err := sim.Start("127.0.0.1:0")
			if err != nil {
				t.Fatalf("odoo simulator does not start: %v", err)
			}
			t.Cleanup(func() { sim.Close() })
			c, err := odoo.Dial(context.Background(), odoo.Config{URL: url, DB: "synco", Username: "admin", Password: "admin",
				APIKey: "sim-key", Protocol: tc.protocol})
			if err != nil {
				t.Fatalf("dial simulator: %v", err)
			}
			calls := Run(t, Target{Name: fmt.Sprintf("simulator %d %s", tc.version, tc.protocol), Client: c, Version: tc.version})
			if testing.Verbose() {
				ReportCalls(t, calls)
			}
		})
	}
}

// The batch scenarios on the simulator, every version.
func TestSimulatorBatch(t *testing.T) {
	for _, v := range []int{16, 17, 18, 19} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			sim := odoosim.New(odoosim.Options{Version: v, DB: "synco", Login: "admin", Password: "admin"})
			url, err := sim.Start("127.0.0.1:0")
			if err != nil {
				t.Fatalf("odoo simulator does not start: %v", err)
			}
			t.Cleanup(func() { sim.Close() })
			cfg := odoo.Config{URL: url, DB: "synco", Username: "admin", Password: "admin", Protocol: odoo.ProtocolXMLRPC}
			c, err := odoo.Dial(context.Background(), cfg)
			if err != nil {
				t.Fatalf("dial simulator: %v", err)
			}
			RunBatch(t, Target{Name: fmt.Sprintf("simulator %d", v), Client: c, Version: v}, cfg)
		})
	}
}

// The stored login on the simulator, 17 and 19 over JSON-2.
func TestSimulatorStoredCredentials(t *testing.T) {
	for _, protocol := range []string{odoo.ProtocolXMLRPC, odoo.ProtocolJSON2} {
		t.Run(protocol, func(t *testing.T) {
			v := 17
			if protocol == odoo.ProtocolJSON2 {
				v = 19
			}
			sim := odoosim.New(odoosim.Options{Version: v, DB: "synco", Login: "admin", Password: "admin", APIKey: "sim-key"})
			url, err := sim.Start("127.0.0.1:0")
			if err != nil {
				t.Fatalf("odoo simulator does not start: %v", err)
			}
			t.Cleanup(func() { sim.Close() })
			cfg := odoo.Config{URL: url, DB: "synco", Username: "admin", Password: "admin", APIKey: "sim-key", Protocol: protocol}
			c, err := odoo.Dial(context.Background(), cfg)
			if err != nil {
				t.Fatalf("dial simulator: %v", err)
			}
			RunStoredCredentials(t, Target{Name: fmt.Sprintf("simulator %d %s", v, protocol), Client: c, Version: v}, cfg)
		})
	}
}
