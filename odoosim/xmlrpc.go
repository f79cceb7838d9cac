package odoosim

// XML-RPC services: common, db and object (plus the legacy /xmlrpc/ paths,
// which answer faults with string fault codes as recorded).

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) writeXML(w http.ResponseWriter, body []byte) {
	s.headers(w, "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK) // faults too: Odoo answers 200
	_, _ = w.Write(body)
}

func (s *Server) writeFault(w http.ResponseWriter, f *Fault, legacy bool) {
	if !legacy {
		s.writeXML(w, encodeFault(f.Code, f.String))
		return
	}
	switch f.Code {
	case 1:
		s.writeXML(w, encodeFault(f.Message, f.String))
	case 3:
		s.writeXML(w, encodeFault("AccessDenied", ""))
	default:
		name := f.Exception[strings.LastIndex(f.Exception, ".")+1:]
		s.writeXML(w, encodeFault("warning -- "+name+"\n\n"+f.String, ""))
	}
}

func (s *Server) serveXMLRPC(w http.ResponseWriter, r *http.Request, service string, legacy bool) {
	mc, err := decodeMethodCall(r.Body)
	if err != nil {
		s.writeFault(w, pyErr("xml.parsers.expat.ExpatError", "xml.parsers.expat.ExpatError: "+err.Error()), legacy)
		return
	}
	var res any
	switch service {
	case "common":
		res, err = s.common(mc)
	case "db":
		res, err = s.db(mc)
	case "object":
		res, err = s.object(mc)
	default:
		s.count(service + "." + mc.Method)
		err = &Fault{Code: 1, String: tbHead + tbDispatch[:strings.Index(tbDispatch, "  File \"/opt/odoo/odoo/http.py\"")] + "  File \"/opt/odoo/odoo/http.py\", line 387, in dispatch_rpc\n    dispatch = rpc_dispatchers[service_name]\n               ~~~~~~~~~~~~~~~^^^^^^^^^^^^^^\nKeyError: '" + service + "'\n", Exception: "builtins.KeyError", Message: "'" + service + "'"}
	}
	if err != nil {
		var f *Fault
		if !errors.As(err, &f) {
			f = pyErr("builtins.Exception", "Exception: "+err.Error())
		}
		s.writeFault(w, f, legacy)
		return
	}
	body, err := s.marshal(res)
	if err != nil {
		var f *Fault
		errors.As(err, &f)
		s.writeFault(w, f, legacy)
		return
	}
	s.writeXML(w, body)
}

// marshal encodes a result; None anywhere is Python's marshalling TypeError.
func (s *Server) marshal(res any) ([]byte, error) {
	switch res.(type) {
	case none:
		return nil, noneFault()
	case intKeyed:
		return nil, intKeyFault()
	case unmarshalable:
		return nil, unmarshalableFault(res.(unmarshalable).class)
	}
	body, err := encodeResponse(noneToNil(res))
	if errors.Is(err, errMarshalNone) {
		return nil, noneFault()
	}
	if err != nil {
		return nil, pyErr("builtins.TypeError", "TypeError: "+err.Error())
	}
	return body, nil
}

// noneToNil turns the none marker (inside actions) into nil for the encoder.
func noneToNil(v any) any {
	switch t := v.(type) {
	case none:
		return nil
	case *OMap:
		out := newOMap()
		for _, k := range t.Keys() {
			v, _ := t.Get(k)
			out.Set(k, noneToNil(v))
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = noneToNil(e)
		}
		return out
	}
	return v
}

func methodNotFound(method string) *Fault {
	return &Fault{Code: 1, String: tbHead + tbDispatch + "  File \"/opt/odoo/odoo/service/common.py\", line 58, in dispatch\n    raise Exception(\"Method not found: %s\" % method)\nException: Method not found: " + method + "\n", Exception: "builtins.Exception", Message: "Method not found: " + method}
}

func (s *Server) common(mc *methodCall) (any, error) {
	s.count("common." + mc.Method)
	p := mc.Params
	switch mc.Method {
	case "version":
		v := s.opts.Version
		serie := fmt.Sprintf("%d.0", v)
		return om("server_version", serie, "server_version_info", []any{v, 0, 0, "final", 0, ""}, "server_serie", serie, "protocol_version", 1), nil
	case "authenticate", "login":
		need := 4
		if mc.Method == "login" {
			need = 3
		}
		if len(p) < need {
			return nil, typeError(fmt.Sprintf("exp_%s() missing %d required positional %s", mc.Method, need-len(p), plural(need-len(p), "argument")))
		}
		db, login, pw := asStr(p[0]), asStr(p[1]), asStr(p[2])
		if db != s.opts.DB {
			return nil, dbMissingFault(db)
		}
		if login != s.opts.Login {
			return false, nil // unknown login: fast, no hash check
		}
		if s.opts.AuthDelay > 0 {
			time.Sleep(s.opts.AuthDelay)
		}
		if pw != s.password() && pw != s.apiKey() {
			return false, nil
		}
		return 2, nil
	case "about":
		return "See http://openerp.com", nil
	}
	return nil, methodNotFound(mc.Method)
}

func (s *Server) db(mc *methodCall) (any, error) {
	s.count("db." + mc.Method)
	switch mc.Method {
	case "server_version":
		return fmt.Sprintf("%d.0", s.opts.Version), nil
	case "list":
		return []any{s.opts.DB}, nil
	case "db_exist":
		if len(mc.Params) > 0 {
			return asStr(mc.Params[0]) == s.opts.DB, nil
		}
	}
	return nil, accessDenied()
}

func (s *Server) checkCreds(db string, uid any, pw string) error {
	if db != s.opts.DB {
		return dbMissingFault(db)
	}
	if asInt(uid) != 2 || (pw != s.password() && pw != s.apiKey()) {
		return accessDenied()
	}
	return nil
}

func (s *Server) object(mc *methodCall) (any, error) {
	p := mc.Params
	switch mc.Method {
	case "execute_kw":
		names := []string{"db", "uid", "passwd", "obj", "method", "args"}
		if len(p) < 3 {
			s.count("object.execute_kw")
			return nil, pyErr("builtins.ValueError", fmt.Sprintf("ValueError: not enough values to unpack (expected 3, got %d)", len(p)))
		}
		if err := s.checkCreds(asStr(p[0]), p[1], asStr(p[2])); err != nil {
			s.count("object.execute_kw")
			return nil, err
		}
		if len(p) < 6 {
			s.count("object.execute_kw")
			miss := names[len(p):]
			q := make([]string, len(miss))
			for i, n := range miss {
				q[i] = "'" + n + "'"
			}
			list := strings.Join(q, " and ")
			if len(q) > 2 {
				list = strings.Join(q[:len(q)-1], ", ") + ", and " + q[len(q)-1]
			}
			return nil, pyErr("builtins.TypeError", fmt.Sprintf("TypeError: execute_kw() missing %d required positional %s: %s", len(miss), plural(len(miss), "argument"), list))
		}
		if len(p) > 7 {
			s.count("object.execute_kw")
			return nil, typeError(fmt.Sprintf("execute_kw() takes from 5 to 6 positional arguments but %d were given", len(p)-1))
		}
		args, ok := p[5].([]any)
		if !ok {
			args = []any{p[5]}
		}
		var kw map[string]any
		if len(p) == 7 {
			kw, _ = p[6].(map[string]any)
		}
		return s.execute(asStr(p[3]), asStr(p[4]), args, kw, false)
	case "execute":
		if len(p) < 5 {
			s.count("object.execute")
			return nil, typeError("execute() missing required positional arguments")
		}
		if err := s.checkCreds(asStr(p[0]), p[1], asStr(p[2])); err != nil {
			s.count("object.execute")
			return nil, err
		}
		return s.execute(asStr(p[3]), asStr(p[4]), p[5:], nil, false)
	}
	s.count("object." + mc.Method)
	return nil, pyErr("builtins.NameError", fmt.Sprintf("NameError: method not available %s", mc.Method))
}
