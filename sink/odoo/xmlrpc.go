package odoo

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/synco-dev/synco/xmlrpc"
)

// XMLRPC talks to /xmlrpc/2/common and /xmlrpc/2/object (Odoo 8 to 21). It asks the
// version and authenticates once per client (authenticate costs 0.5-1.3 s of password
// hashing on the server) and reuses the uid for every execute_kw. Odoo closes every
// connection after its answer, so nothing relies on keep-alive.
type XMLRPC struct {
	url, db, login, password string
	o                        options
	lim                      limiter

	mu      sync.Mutex // guards the fields below; held across login so only one happens
	uid     int64
	version int
}

var _ Client = (*XMLRPC)(nil)

// NewXMLRPC makes an XML-RPC client; password may be an API key.
func NewXMLRPC(url, db, login, password string, opts ...Option) *XMLRPC {
	o := buildOptions(opts)
	return &XMLRPC{url: strings.TrimRight(url, "/"), db: db, login: login, password: password,
		o: o, lim: newLimiter(o.maxInFlight), version: o.version}
}

// Version asks common.version() once.
func (c *XMLRPC) Version(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version > 0 {
		return c.version, nil
	}
	res, err := c.rpc(ctx, "common", "", "version", nil)
	if err != nil {
		return 0, err
	}
	v, err := parseVersion(res)
	if err != nil {
		return 0, permanent("", "version", 0, "", err.Error())
	}
	c.version = v
	return v, nil
}

// parseVersion reads the major version from common.version()'s answer.
func parseVersion(res any) (int, error) {
	m, _ := res.(map[string]any)
	if info, ok := m["server_version_info"].([]any); ok && len(info) > 0 {
		if n, ok := info[0].(int64); ok && n > 0 {
			return int(n), nil
		}
	}
	if s, ok := m["server_version"].(string); ok {
		// "17.0", "saas~17.4", "18.0+e"
		s = strings.TrimPrefix(s, "saas~")
		if i := strings.IndexAny(s, ".+-"); i > 0 {
			s = s[:i]
		}
		if n, err := strconv.Atoi(s); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("cannot read Odoo's version from %v", res)
}

// UID logs in once and returns the user id.
func (c *XMLRPC) UID(ctx context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.uid > 0 {
		return c.uid, nil
	}
	res, err := c.rpc(ctx, "common", "", "authenticate", []any{c.db, c.login, c.password, map[string]any{}})
	if err != nil {
		return 0, err
	}
	uid, ok := res.(int64)
	if !ok || uid <= 0 {
		// authenticate answers False (not a fault) for a bad login or password.
		return 0, permanent("", "authenticate", 0, "", fmt.Sprintf("Odoo login failed for user %s on db %s", c.login, c.db))
	}
	c.uid = uid
	return uid, nil
}

// Call runs execute_kw.
func (c *XMLRPC) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	uid, err := c.UID(ctx)
	if err != nil {
		return nil, err
	}
	if args == nil {
		args = []any{}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	res, err := c.rpc(ctx, "object", model, method, []any{c.db, uid, c.password, model, method, args, kwargs})
	if oe, ok := err.(*Error); ok && oe.Code == faultAccessDenied {
		// The password changed under us: log in again next time (still a permanent error now).
		c.mu.Lock()
		c.uid = 0
		c.mu.Unlock()
	}
	return res, err
}

// rpc posts one methodCall to /xmlrpc/2/<service>. model is for error messages only.
func (c *XMLRPC) rpc(ctx context.Context, service, model, method string, params []any) (any, error) {
	wire := method
	if service == "object" {
		wire = "execute_kw"
	}
	body, err := xmlrpc.EncodeCall(wire, params)
	if err != nil {
		return nil, permanent(model, method, 0, "", err.Error())
	}
	status, raw, err := post(ctx, &c.o, c.lim, c.url+"/xmlrpc/2/"+service, map[string]string{"Content-Type": "text/xml"}, body, model, method)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, classifyHTTP(model, method, status, string(raw))
	}
	v, fault, err := xmlrpc.DecodeResponse(raw)
	if err != nil {
		// A 200 that is not XML-RPC: a proxy's maintenance page, a truncated answer.
		return nil, retriable(model, method, 0, "", err.Error())
	}
	if fault != nil {
		return nil, classifyFault(model, method, fault)
	}
	return v, nil
}
