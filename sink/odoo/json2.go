package odoo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// JSON2 talks to Odoo 19+'s JSON-2 API: POST /json/2/<model>/<method> with a bearer API
// key, parameters by name. Each call is its own transaction on the server.
type JSON2 struct {
	url, db, key string
	o            options
	lim          limiter
	ver          *XMLRPC // common.version() only, when the version is not known
}

var _ Client = (*JSON2)(nil)

// NewJSON2 makes a JSON-2 client.
func NewJSON2(url, db, apiKey string, opts ...Option) *JSON2 {
	o := buildOptions(opts)
	url = strings.TrimRight(url, "/")
	return &JSON2{url: url, db: db, key: apiKey, o: o, lim: newLimiter(o.maxInFlight),
		ver: NewXMLRPC(url, db, "", "", opts...)}
}

// Version asks common.version() (it answers on 16 to 21 without credentials) unless
// the client was made with KnownVersion.
func (c *JSON2) Version(ctx context.Context) (int, error) { return c.ver.Version(ctx) }

// Call maps execute_kw-style positional args to JSON-2's named parameters.
func (c *JSON2) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	body, err := json2Body(method, args, kwargs)
	if err != nil {
		return nil, permanent(model, method, 0, "", err.Error())
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, permanent(model, method, 0, "", err.Error())
	}
	headers := map[string]string{"Authorization": "bearer " + c.key, "Content-Type": "application/json; charset=utf-8"}
	if c.db != "" {
		headers["X-Odoo-Database"] = c.db
	}
	status, data, err := post(ctx, &c.o, c.lim, c.url+"/json/2/"+model+"/"+method, headers, raw, model, method)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, classifyJSON2(model, method, status, data)
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, retriable(model, method, 0, "", "malformed JSON-2 answer: "+err.Error())
	}
	return v, nil
}

// json2Params names the positional parameters of the methods we call, in order.
var json2Params = map[string][]string{
	"create":       {"vals_list"},
	"search_read":  {"domain", "fields", "offset", "limit", "order"},
	"search":       {"domain", "offset", "limit", "order"},
	"search_count": {"domain", "limit"},
	"name_search":  {"name", "domain", "operator", "limit"},
	"default_get":  {"fields"}, // 19's BaseModel.default_get(fields); no installed model overrides it with fields_list
	"fields_get":   {"allfields", "attributes"},
}

// Recordset methods take the ids first, then these.
var json2RecordParams = map[string][]string{
	"read":  {"fields"},
	"write": {"vals"},
}

func json2Body(method string, args []any, kwargs map[string]any) (map[string]any, error) {
	body := make(map[string]any, len(kwargs)+2)
	for k, v := range kwargs {
		body[k] = v
	}
	names, isModel := json2Params[method]
	if !isModel {
		// A recordset method: ids first (read, write, unlink, action_*, wizard buttons).
		if len(args) > 0 {
			body["ids"] = args[0]
			args = args[1:]
		}
		names = json2RecordParams[method]
	}
	if len(args) > len(names) {
		return nil, fmt.Errorf("JSON-2: no parameter names known for %d positional argument(s) of %s", len(args), method)
	}
	for i, a := range args {
		if _, dup := body[names[i]]; dup {
			return nil, fmt.Errorf("JSON-2: %s given both positionally and by name", names[i])
		}
		body[names[i]] = a
	}
	return body, nil
}

// json2Error is JSON-2's error body.
type json2Error struct {
	Name      string `json:"name"`
	Message   string `json:"message"`
	Arguments []any  `json:"arguments"`
	Debug     string `json:"debug"`
}

func classifyJSON2(model, method string, status int, data []byte) *Error {
	var je json2Error
	if json.Unmarshal(data, &je) != nil || (je.Name == "" && je.Message == "") {
		return classifyHTTP(model, method, status, string(data))
	}
	msg := strings.TrimSpace(je.Message)
	if msg == "" && len(je.Arguments) > 0 {
		msg = fmt.Sprint(je.Arguments[0])
	}
	if status == http.StatusUnauthorized {
		e := permanent(model, method, status, je.Name, "Odoo API key rejected")
		if msg != "" {
			e.Message += " (" + msg + ")"
		}
		return e
	}
	name := je.Name
	short := name[strings.LastIndexByte(name, '.')+1:]
	switch {
	case transientDB(name + ": " + msg):
		return retriable(model, method, status, name, msg)
	case strings.HasPrefix(name, "odoo.exceptions."), strings.HasPrefix(name, "werkzeug.exceptions."):
		if status >= 500 && short != "UserError" && short != "ValidationError" && short != "AccessError" &&
			short != "MissingError" && short != "AccessDenied" && short != "RedirectWarning" {
			return retriable(model, method, status, name, msg)
		}
		return permanent(model, method, status, name, msg)
	case short == "ValueError", short == "TypeError", short == "AttributeError", short == "KeyError":
		return permanent(model, method, status, name, msg)
	case status >= 500, status == 408, status == 429:
		return retriable(model, method, status, name, msg)
	}
	return permanent(model, method, status, name, msg)
}

// decodeJSON decodes with numbers normalised as the XML-RPC codec does: integers as
// int64, the rest as float64.
func decodeJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeJSON(v), nil
}

func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeJSON(x[k])
		}
	}
	return v
}
