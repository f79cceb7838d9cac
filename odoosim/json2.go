package odoosim

// Odoo 19's JSON-2 API: POST /json/2/<model>/<method>, bearer API key,
// named parameters, errors as {name, message, arguments, context, debug}.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

func jsonMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonValue(v)); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// jsonValue maps internal markers to plain JSON values.
func jsonValue(v any) any {
	switch t := v.(type) {
	case none, unmarshalable:
		return nil
	case intKeyed:
		return t.m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonValue(e)
		}
		return out
	case []byte:
		return string(t)
	}
	return v
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := jsonMarshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"name":"builtins.TypeError","message":"` + err.Error() + `"}`)
	}
	s.headers(w, "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) json2Error(w http.ResponseWriter, status int, name, msg, debug string) {
	s.writeJSON(w, status, om("name", name, "message", msg, "arguments", []any{msg, status}, "context", om(), "debug", debug))
}

func (s *Server) serveJSON2(w http.ResponseWriter, r *http.Request, rest string) {
	model, method, ok := strings.Cut(rest, "/")
	if r.Method != http.MethodPost || !ok || model == "" || method == "" || strings.Contains(method, "/") {
		s.json2Error(w, http.StatusNotFound, "werkzeug.exceptions.NotFound", "404 Not Found: The requested URL was not found on the server.", "")
		return
	}
	scheme, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(key) != s.apiKey() {
		s.count(model + "." + method)
		s.json2Error(w, http.StatusUnauthorized, "werkzeug.exceptions.Unauthorized", "Invalid apikey", "")
		return
	}
	if db := r.Header.Get("X-Odoo-Database"); db != "" && db != s.opts.DB {
		s.json2Error(w, http.StatusNotFound, "werkzeug.exceptions.NotFound", "database "+db+" not found", "")
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		s.json2Error(w, http.StatusUnsupportedMediaType, "werkzeug.exceptions.UnsupportedMediaType",
			"415 Unsupported Media Type: Did not attempt to load JSON data because the request Content-Type was not 'application/json'.", "")
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.json2Error(w, http.StatusBadRequest, "werkzeug.exceptions.BadRequest", "400 Bad Request: "+err.Error(), "")
		return
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if len(bytes.TrimSpace(raw)) == 0 {
		body = map[string]any{}
	} else if err := dec.Decode(&body); err != nil {
		s.json2Error(w, http.StatusBadRequest, "werkzeug.exceptions.BadRequest", "400 Bad Request: Failed to decode JSON object: "+err.Error(), "")
		return
	}
	kwargs := map[string]any{}
	var ids any = []any{}
	for k, v := range body {
		v = fromJSON(v)
		switch k {
		case "ids":
			ids = v
		default:
			kwargs[k] = v
		}
	}
	var args []any
	s.mu.Lock()
	if m := s.st.models[model]; m != nil {
		if mth := m.methods[method]; mth != nil && mth.Multi {
			args = []any{ids}
		}
	}
	s.mu.Unlock()
	res, err := s.execute(model, method, args, kwargs, true)
	if err != nil {
		var f *Fault
		if !errors.As(err, &f) {
			f = pyErr("builtins.Exception", "Exception: "+err.Error())
		}
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		debug := ""
		if f.Code == 1 {
			debug = f.String
		}
		s.json2Error(w, status, f.Exception, f.Message, debug)
		return
	}
	s.writeJSON(w, http.StatusOK, res)
}

// fromJSON converts decoded JSON numbers to int/float64 like XML-RPC does.
func fromJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return int(i)
		}
		f, _ := t.Float64()
		return f
	case []any:
		for i, e := range t {
			t[i] = fromJSON(e)
		}
		return t
	case map[string]any:
		for k, e := range t {
			t[k] = fromJSON(e)
		}
		return t
	}
	return v
}
