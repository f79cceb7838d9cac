package shopifysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// ---- orders(query:) ----

// term is one filter of Shopify's search syntax that the simulator understands.
type term struct {
	field, op string
	at        time.Time
}

var reTerm = regexp.MustCompile(`^(updated_at|created_at|processed_at):(>=|<=|>|<)?'?([^']+)'?$`)

// parseSearch reads the time filters of a search string; other terms are ignored with
// a warning, as Shopify does (extensions.search).
func parseSearch(q string) ([]term, []string) {
	var terms []term
	var warnings []string
	for _, w := range strings.Fields(q) {
		m := reTerm.FindStringSubmatch(w)
		if m == nil {
			warnings = append(warnings, w)
			continue
		}
		t, err := time.Parse(time.RFC3339, m[3])
		if err != nil {
			if d, err2 := time.Parse(time.DateOnly, m[3]); err2 == nil {
				t = d
			} else {
				warnings = append(warnings, w)
				continue
			}
		}
		op := m[2]
		if op == "" {
			op = "="
		}
		terms = append(terms, term{field: m[1], op: op, at: t})
	}
	return terms, warnings
}

func (t term) match(o *Order) bool {
	v := o.UpdatedAt
	switch t.field {
	case "created_at":
		v = o.CreatedAt
	case "processed_at":
		v = o.ProcessedAt
	}
	switch t.op {
	case ">=":
		return !v.Before(t.at)
	case ">":
		return v.After(t.at)
	case "<=":
		return !v.After(t.at)
	case "<":
		return v.Before(t.at)
	}
	return v.Equal(t.at)
}

func (s *Sim) ordersConnection(ex *executor, a map[string]any) (any, error) {
	q, _ := a["query"].(string)
	terms, _ := parseSearch(q)
	sortKey, _ := a["sortKey"].(string)
	if sortKey == "" {
		sortKey = "PROCESSED_AT"
	}
	all := make([]*Order, 0, len(s.orders))
	for _, o := range s.orders {
		all = append(all, o)
	}
	list := sortedOrders(all, sortKey, func(o *Order) bool {
		for _, t := range terms {
			if !t.match(o) {
				return false
			}
		}
		return true
	})
	items := make([]item, 0, len(list))
	for _, o := range list {
		items = append(items, item{orderKey(o, sortKey), s.gqlOrder(ex, o)})
	}
	return ex.connection("OrderConnection", items, a)
}

// ---- bulk operations ----

type bulkOp struct {
	id                     int64
	query                  string
	group                  bool
	status                 string
	polls                  int
	createdAt, completedAt time.Time
	objects, roots, size   int
	file                   string
}

func (b *bulkOp) gid() string { return gid("BulkOperation", b.id) }

func (s *Sim) bulkNode(b *bulkOp) *node {
	var url, completed, size any
	if b.status == "COMPLETED" {
		completed = gqlTime(b.completedAt)
		size = strconv.Itoa(b.size)
		if b.file != "" {
			url = s.baseURL + "/bulk/" + b.file
		}
	}
	return &node{typ: "BulkOperation", f: map[string]any{"id": b.gid(), "status": b.status, "errorCode": nil, "type": "QUERY",
		"createdAt": gqlTime(b.createdAt), "completedAt": completed, "objectCount": strconv.Itoa(b.objects),
		"rootObjectCount": strconv.Itoa(b.roots), "fileSize": size, "url": url, "partialDataUrl": nil, "query": b.query}}
}

func bulkPayload(op any, code, field, msg string) *node {
	errs := []any{}
	if msg != "" {
		var f any
		if field != "" {
			f = []any{field}
		}
		errs = append(errs, &node{typ: "BulkOperationUserError", f: map[string]any{"field": f, "message": msg, "code": code}})
	}
	return &node{typ: "BulkOperationRunQueryPayload", f: map[string]any{"bulkOperation": op, "userErrors": errs}}
}

func (s *Sim) bulkRunQuery(a map[string]any) (any, error) {
	q, _ := a["query"].(string)
	group := true
	if g, ok := a["groupObjects"].(bool); ok {
		group = g
	}
	for _, b := range s.bulkOps {
		if b.status == "CREATED" || b.status == "RUNNING" {
			return bulkPayload(nil, "OPERATION_IN_PROGRESS", "", fmt.Sprintf("A bulk query operation for this app and shop is already in progress: %s.", b.gid())), nil
		}
	}
	doc, errs := parseAndValidate(s.schema, q)
	if errs != nil {
		return bulkPayload(nil, "INVALID", "query", "Invalid bulk query: "+errs[0].Message), nil
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query {
		return bulkPayload(nil, "INVALID", "query", "Invalid bulk query: a bulk query must be one query operation"), nil
	}
	if msg := s.checkBulkShape(doc); msg != "" {
		return bulkPayload(nil, "INVALID", "query", msg), nil
	}
	b := &bulkOp{id: s.ids.id(), query: q, group: group, status: "CREATED", createdAt: s.now().UTC()}
	s.bulkOps = append(s.bulkOps, b)
	return bulkPayload(s.bulkNode(b), "", "", ""), nil
}

// checkBulkShape applies Shopify's bulk query rules: at least one connection, at most
// five, nested at most two deep, no top-level node or nodes.
func (s *Sim) checkBulkShape(doc *ast.QueryDocument) string {
	ex := &executor{schema: s.schema, doc: doc, vars: map[string]any{}, bulk: true}
	count, deepest := 0, 0
	var walk func(def *ast.Definition, set ast.SelectionSet, depth int)
	walk = func(def *ast.Definition, set ast.SelectionSet, depth int) {
		types := []*ast.Definition{def}
		if def.Kind == ast.Interface || def.Kind == ast.Union {
			types = s.schema.GetPossibleTypes(def)
		}
		seen := map[*ast.Field]bool{}
		for _, t := range types {
			var fields []collected
			ex.collect(set, t.Name, &fields, map[string]int{})
			for _, c := range fields {
				for _, f := range c.fields {
					if seen[f] || f.Definition == nil {
						continue
					}
					seen[f] = true
					named := s.schema.Types[f.Definition.Type.Name()]
					if named == nil || named.Kind == ast.Scalar || named.Kind == ast.Enum {
						continue
					}
					d := depth
					if strings.HasSuffix(named.Name, "Connection") {
						count++
						d++
						deepest = max(deepest, d)
					}
					walk(named, f.SelectionSet, d)
				}
			}
		}
	}
	for _, sel := range doc.Operations[0].SelectionSet {
		if f, ok := sel.(*ast.Field); ok && (f.Name == "node" || f.Name == "nodes") {
			return "The top-level node and nodes fields are not supported in bulk queries."
		}
	}
	walk(s.schema.Types["QueryRoot"], doc.Operations[0].SelectionSet, 0)
	switch {
	case count == 0:
		return "Bulk queries must contain at least one connection."
	case count > 5:
		return fmt.Sprintf("Bulk queries cannot contain more than 5 connections (this one has %d).", count)
	case deepest > 2:
		return "Bulk queries cannot contain connections with a nesting depth greater than 2."
	}
	return ""
}

func (s *Sim) currentBulk(a map[string]any) (any, error) {
	if t, _ := a["type"].(string); t == "MUTATION" {
		return nil, nil
	}
	if len(s.bulkOps) == 0 {
		return nil, nil
	}
	b := s.bulkOps[len(s.bulkOps)-1]
	s.advanceBulk(b)
	return s.bulkNode(b), nil
}

// advanceBulk moves an operation along on each poll: CREATED, RUNNING for BulkPolls
// polls, then COMPLETED with its file written.
func (s *Sim) advanceBulk(b *bulkOp) {
	switch b.status {
	case "CREATED":
		b.status = "RUNNING"
	case "RUNNING":
		b.polls++
		if b.polls >= s.opts.BulkPolls {
			s.finishBulk(b)
		}
	}
}

func (s *Sim) finishBulk(b *bulkOp) {
	doc, _ := parseAndValidate(s.schema, b.query)
	op := doc.Operations[0]
	ex := &executor{schema: s.schema, doc: doc, vars: map[string]any{}, bulk: true}
	data := ex.run(op, s.root(ex, ast.Query))
	var lines, children [][]byte
	roots := 0
	// A connection's nodes leave their parent and become lines of their own, naming the
	// parent's id in __parentId; the parent line keeps no trace of the connection. With
	// groupObjects each object's children follow it; without, they come after all roots.
	var flatten func(def *ast.Definition, m *omap, set ast.SelectionSet, parent string, top bool)
	flatten = func(def *ast.Definition, m *omap, set ast.SelectionSet, parent string, top bool) {
		var fields []collected
		ex.collect(set, def.Name, &fields, map[string]int{})
		own := newOmap()
		var later []func()
		for _, c := range fields {
			v, ok := m.vals[c.key]
			if !ok {
				continue
			}
			var merged ast.SelectionSet
			for _, x := range c.fields {
				merged = append(merged, x.SelectionSet...)
			}
			fd := def.Fields.ForName(c.fields[0].Name)
			var named *ast.Definition
			if fd != nil {
				named = s.schema.Types[fd.Type.Name()]
			}
			if named == nil || !strings.HasSuffix(named.Name, "Connection") {
				own.set(c.key, v)
				continue
			}
			conn, _ := v.(*omap)
			if conn == nil {
				continue
			}
			nodeDef := connectionNode(s.schema, named)
			pid, _ := m.vals["id"].(string)
			if top {
				pid = ""
			}
			add := func(nm *omap, sel ast.SelectionSet) {
				concrete := nodeDef
				if tn, ok := nm.vals["__typename"].(string); ok && s.schema.Types[tn] != nil {
					concrete = s.schema.Types[tn]
				}
				later = append(later, func() {
					if top {
						roots++
					}
					flatten(concrete, nm, sel, pid, false)
				})
			}
			var inner []collected
			ex.collect(merged, named.Name, &inner, map[string]int{})
			for _, ic := range inner {
				var sel ast.SelectionSet
				for _, x := range ic.fields {
					sel = append(sel, x.SelectionSet...)
				}
				switch ic.fields[0].Name {
				case "nodes":
					list, _ := conn.vals[ic.key].([]any)
					for _, n := range list {
						if nm, ok := n.(*omap); ok {
							add(nm, sel)
						}
					}
				case "edges":
					var edgeFields []collected
					ex.collect(sel, strings.TrimSuffix(named.Name, "Connection")+"Edge", &edgeFields, map[string]int{})
					list, _ := conn.vals[ic.key].([]any)
					for _, e := range list {
						em, _ := e.(*omap)
						for _, ef := range edgeFields {
							if ef.fields[0].Name != "node" || em == nil {
								continue
							}
							var nsel ast.SelectionSet
							for _, x := range ef.fields {
								nsel = append(nsel, x.SelectionSet...)
							}
							if nm, ok := em.vals[ef.key].(*omap); ok {
								add(nm, nsel)
							}
						}
					}
				}
			}
		}
		if !top {
			if parent != "" {
				own.set("__parentId", parent)
			}
			line, _ := json.Marshal(own)
			if b.group || parent == "" {
				lines = append(lines, line)
			} else {
				children = append(children, line)
			}
		}
		for _, f := range later {
			f()
		}
	}
	if data != nil {
		flatten(s.schema.Types["QueryRoot"], data, op.SelectionSet, "", true)
	}
	lines = append(lines, children...)
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	b.status, b.completedAt, b.objects, b.roots, b.size = "COMPLETED", s.now().UTC(), len(lines), roots, buf.Len()
	if len(lines) > 0 {
		b.file = fmt.Sprintf("%d-%s.jsonl", b.id, digest(b.id, b.query)[:16])
		s.bulkFiles[b.file] = buf.Bytes()
	}
}

func (s *Sim) serveBulkFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b, ok := s.bulkFiles[r.PathValue("file")]
	s.counts.BulkResultGet++
	s.mu.Unlock()
	if !ok {
		http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Write(b)
}

// ---- metafieldsSet ----

func mfError(code string, index int, field []any, msg string) *node {
	return &node{typ: "MetafieldsSetUserError", f: map[string]any{"code": code, "elementIndex": index, "field": field, "message": msg}}
}

func (s *Sim) metafieldsSet(ex *executor, a map[string]any) (any, error) {
	in, _ := a["metafields"].([]any)
	payload := func(mfs []any, errs []any) *node {
		var m any
		if mfs != nil {
			m = mfs
		}
		return &node{typ: "MetafieldsSetPayload", f: map[string]any{"metafields": m, "userErrors": errs}}
	}
	if len(in) > 25 {
		return payload(nil, []any{mfError("LESS_THAN_OR_EQUAL_TO", 0, []any{"metafields"}, "Exceeded the maximum metafields input limit of 25.")}), nil
	}
	type write struct {
		o  *Order
		m  *Metafield
		in map[string]any
	}
	var writes []write
	var errs []any
	for i, x := range in {
		m, _ := x.(map[string]any)
		idx := strconv.Itoa(i)
		owner, _ := m["ownerId"].(string)
		o, _ := s.orderByGID(owner)
		if o == nil {
			errs = append(errs, mfError("INVALID", i, []any{"metafields", idx, "ownerId"}, "Owner does not exist."))
			continue
		}
		ns, _ := m["namespace"].(string)
		if ns == "" {
			ns = "$app"
		}
		key, _ := m["key"].(string)
		value, _ := m["value"].(string)
		typ, _ := m["type"].(string)
		var cur *Metafield
		for _, mf := range o.Metafields {
			if mf.Namespace == ns && mf.Key == key {
				cur = mf
			}
		}
		if cur == nil && typ == "" {
			errs = append(errs, mfError("BLANK", i, []any{"metafields", idx, "type"}, "Type can't be blank."))
			continue
		}
		if cur != nil && typ != "" && typ != cur.Type {
			errs = append(errs, mfError("INVALID_TYPE", i, []any{"metafields", idx, "type"}, "Type must match the existing metafield's type."))
			continue
		}
		if typ == "" {
			typ = cur.Type
		}
		if typ == "single_line_text_field" && strings.ContainsAny(value, "\r\n") {
			errs = append(errs, mfError("INVALID_VALUE", i, []any{"metafields", idx, "value"}, "Value must be a single line text string."))
			continue
		}
		if len(key) < 2 {
			errs = append(errs, mfError("TOO_SHORT", i, []any{"metafields", idx, "key"}, "Key is too short (minimum is 2 characters)."))
			continue
		}
		if len(key) > 64 {
			errs = append(errs, mfError("TOO_LONG", i, []any{"metafields", idx, "key"}, "Key is too long (maximum is 64 characters)."))
			continue
		}
		// compareDigest: absent means no guard; null means the metafield must not exist
		// yet; a digest must be the current one.
		if d, present := m["compareDigest"]; present {
			ds, _ := d.(string)
			stale := (d == nil && cur != nil) || (d != nil && (cur == nil || cur.Digest() != ds))
			if stale {
				errs = append(errs, mfError("STALE_OBJECT", i, []any{"metafields", idx},
					"The resource has been updated since it was loaded. Try again with an updated `compareDigest` value."))
				continue
			}
		}
		writes = append(writes, write{o: o, m: cur, in: map[string]any{"namespace": ns, "key": key, "value": value, "type": typ}})
	}
	if len(errs) > 0 {
		// Atomic: one bad metafield and nothing is written.
		return payload(nil, errs), nil
	}
	now := s.now().UTC()
	out := make([]any, 0, len(writes))
	for _, w := range writes {
		m := w.m
		if m == nil {
			m = &Metafield{ID: s.ids.id(), Namespace: w.in["namespace"].(string), Key: w.in["key"].(string), Type: w.in["type"].(string), CreatedAt: now}
			w.o.Metafields = append(w.o.Metafields, m)
		}
		if m.Value != w.in["value"].(string) || m.version == 0 {
			m.Value = w.in["value"].(string)
			m.version++
			m.UpdatedAt = now
		}
		out = append(out, gqlMetafield(w.o, m))
	}
	return payload(out, []any{}), nil
}

// ---- webhook subscriptions ----

type subscription struct {
	id        int64
	topic     string // GraphQL enum, ORDERS_CREATE
	uri       string
	format    string
	createdAt time.Time
}

func (w *subscription) gid() string { return gid("WebhookSubscription", w.id) }

func (w *subscription) node() *node {
	return &node{typ: "WebhookSubscription", f: map[string]any{"id": w.gid(), "topic": w.topic, "uri": w.uri, "callbackUrl": w.uri,
		"format": w.format, "createdAt": gqlTime(w.createdAt), "updatedAt": gqlTime(w.createdAt), "apiVersion": nil,
		"legacyResourceId": strconv.FormatInt(w.id, 10), "includeFields": []any{}, "metafieldNamespaces": []any{}, "filter": nil}}
}

func userError(field []any, msg string) *node {
	return &node{typ: "UserError", f: map[string]any{"field": field, "message": msg}}
}

func (s *Sim) webhookCreate(a map[string]any) (any, error) {
	topic, _ := a["topic"].(string)
	in, _ := a["webhookSubscription"].(map[string]any)
	field := "uri"
	addr, _ := in["uri"].(string)
	if addr == "" {
		addr, _ = in["callbackUrl"].(string)
		field = "callbackUrl"
	}
	payload := func(sub any, errs ...any) *node {
		if errs == nil {
			errs = []any{}
		}
		return &node{typ: "WebhookSubscriptionCreatePayload", f: map[string]any{"webhookSubscription": sub, "userErrors": errs}}
	}
	f := []any{"webhookSubscription", field}
	u, err := url.Parse(addr)
	switch {
	case addr == "":
		return payload(nil, userError(f, "Address can't be blank")), nil
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return payload(nil, userError(f, "Address is invalid")), nil
	case u.Scheme == "http" && !s.opts.AllowHTTPWebhooks:
		return payload(nil, userError(f, "Address protocol http:// is not supported")), nil
	}
	for _, w := range s.subs {
		if w.topic == topic && w.uri == addr {
			return payload(nil, userError(f, "Address for this topic has already been taken")), nil
		}
	}
	format, _ := in["format"].(string)
	if format == "" {
		format = "JSON"
	}
	w := &subscription{id: s.ids.id(), topic: topic, uri: addr, format: format, createdAt: s.now().UTC()}
	s.subs = append(s.subs, w)
	return payload(w.node()), nil
}

func (s *Sim) webhookDelete(a map[string]any) (any, error) {
	id, _ := a["id"].(string)
	for i, w := range s.subs {
		if w.gid() == id {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			return &node{typ: "WebhookSubscriptionDeletePayload", f: map[string]any{"deletedWebhookSubscriptionId": id, "userErrors": []any{}}}, nil
		}
	}
	return &node{typ: "WebhookSubscriptionDeletePayload", f: map[string]any{"deletedWebhookSubscriptionId": nil,
		"userErrors": []any{userError([]any{"id"}, "Webhook subscription does not exist")}}}, nil
}

func (s *Sim) webhookList(ex *executor, a map[string]any) (any, error) {
	topics := map[string]bool{}
	if ts, ok := a["topics"].([]any); ok {
		for _, t := range ts {
			if s, ok := t.(string); ok {
				topics[s] = true
			}
		}
	}
	uri, _ := a["uri"].(string)
	items := []item{}
	for _, w := range s.subs {
		if (len(topics) > 0 && !topics[w.topic]) || (uri != "" && w.uri != uri) {
			continue
		}
		items = append(items, item{fmt.Sprintf("%s|%020d", w.createdAt.UTC().Format("2006-01-02T15:04:05.000000000"), w.id), w.node()})
	}
	return ex.connection("WebhookSubscriptionConnection", items, a)
}

// Subscriptions lists the current webhook subscriptions as REST topic and address.
func (s *Sim) Subscriptions() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for _, w := range s.subs {
		t := restTopic(w.topic)
		out[t] = append(out[t], w.uri)
	}
	return out
}
