package shopifysim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// A small GraphQL executor over the pinned schema: the query is parsed and validated
// by gqlparser (what Shopify rejects is rejected here, in Shopify's error shapes), then
// every selected field is resolved from node values and checked against its schema
// type (a non-null field the simulator leaves null is its bug and says so).

// node is an object value: its concrete type and its fields, each a value or a
// resolver taking the field's arguments.
type node struct {
	typ string
	f   map[string]any
}

type resolver = func(args map[string]any) (any, error)

// omap is a JSON object that keeps the query's field order, as GraphQL answers do.
type omap struct {
	keys []string
	vals map[string]any
}

func newOmap() *omap { return &omap{vals: map[string]any{}} }

func (m *omap) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *omap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// gqlError is one entry of a GraphQL answer's errors, as Shopify writes it.
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []location     `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// fieldError is a resolver's error that becomes an entry of errors (the field null).
type fieldError struct {
	msg  string
	code string
}

func (e *fieldError) Error() string { return e.msg }

func errorf(code, format string, a ...any) error {
	return &fieldError{msg: fmt.Sprintf(format, a...), code: code}
}

type executor struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	bulk   bool // bulk operation: connections take no page size and return everything
	errs   []gqlError
	actual int
}

// parseAndValidate is gqlparser's validation, with its errors in graphql-ruby's words
// and codes (Shopify's server is graphql-ruby).
func parseAndValidate(schema *ast.Schema, query string) (*ast.QueryDocument, []gqlError) {
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) == 0 {
		return doc, nil
	}
	out := make([]gqlError, 0, len(errs))
	for _, e := range errs {
		out = append(out, shopifyValidationError(e))
	}
	return nil, out
}

var (
	reUnknownField = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"`)
	reUnknownArg   = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"`)
	reMissingArg   = regexp.MustCompile(`^Field "([^"]+)" argument "([^"]+)" of type "([^"]+)" is required`)
	reNoSubfields  = regexp.MustCompile(`^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields`)
	reLeaf         = regexp.MustCompile(`^Field "([^"]+)" must not have a selection since type "([^"]+)" has no subfields`)
)

func shopifyValidationError(e *gqlerror.Error) gqlError {
	g := gqlError{Message: e.Message, Extensions: map[string]any{}}
	for _, l := range e.Locations {
		g.Locations = append(g.Locations, location{Line: l.Line, Column: l.Column})
	}
	switch m := e.Message; {
	case reUnknownField.MatchString(m):
		s := reUnknownField.FindStringSubmatch(m)
		g.Message = fmt.Sprintf("Field '%s' doesn't exist on type '%s'", s[1], s[2])
		g.Extensions = map[string]any{"code": "undefinedField", "typeName": s[2], "fieldName": s[1]}
	case reUnknownArg.MatchString(m):
		s := reUnknownArg.FindStringSubmatch(m)
		g.Message = fmt.Sprintf("Field '%s' doesn't accept argument '%s'", s[3], s[1])
		g.Extensions = map[string]any{"code": "argumentNotAccepted", "name": s[3], "typeName": "Field", "argumentName": s[1]}
	case reMissingArg.MatchString(m):
		s := reMissingArg.FindStringSubmatch(m)
		g.Message = fmt.Sprintf("Field '%s' is missing required arguments: %s", s[1], s[2])
		g.Extensions = map[string]any{"code": "missingRequiredArguments", "className": "Field", "name": s[1], "arguments": s[2]}
	case reNoSubfields.MatchString(m):
		s := reNoSubfields.FindStringSubmatch(m)
		g.Message = fmt.Sprintf("Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)", s[1], s[2], s[1])
		g.Extensions = map[string]any{"code": "selectionMismatch", "nodeName": "field '" + s[1] + "'", "typeName": s[2]}
	case reLeaf.MatchString(m):
		s := reLeaf.FindStringSubmatch(m)
		g.Message = fmt.Sprintf("Selections can't be made on scalars (field '%s' returns %s but has selections [...])", s[1], s[2])
		g.Extensions = map[string]any{"code": "selectionMismatch", "nodeName": "field '" + s[1] + "'", "typeName": s[2]}
	case e.Rule == "":
		// A parse error.
		g.Extensions = map[string]any{"code": "syntaxError"}
	default:
		g.Extensions = map[string]any{"code": ruleCode(e.Rule)}
	}
	return g
}

func ruleCode(rule string) string {
	switch rule {
	case "NoUndefinedVariables":
		return "variableNotDefined"
	case "NoUnusedVariables":
		return "variableNotUsed"
	case "KnownTypeNames":
		return "undefinedType"
	case "KnownFragmentNames":
		return "undefinedFragment"
	case "NoUnusedFragments":
		return "useAndDefineFragment"
	case "ValuesOfCorrectType", "VariablesInAllowedPosition":
		return "argumentLiteralsIncompatible"
	}
	return "validationError"
}

// operation picks the operation named opName (or the only one).
func operation(doc *ast.QueryDocument, opName string) (*ast.OperationDefinition, *gqlError) {
	if opName == "" {
		if len(doc.Operations) == 1 {
			return doc.Operations[0], nil
		}
		return nil, &gqlError{Message: "An operation name is required", Extensions: map[string]any{"code": "operationNameMissing"}}
	}
	op := doc.Operations.ForName(opName)
	if op == nil {
		return nil, &gqlError{Message: fmt.Sprintf(`No operation named "%s"`, opName), Extensions: map[string]any{"code": "operationNotFound"}}
	}
	return op, nil
}

// coerceVariables checks the variables against the operation's definitions.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) (map[string]any, *gqlError) {
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		msg := err.Error()
		name := ""
		if e, ok := err.(*gqlerror.Error); ok {
			msg = e.Message
			if len(e.Path) > 1 {
				name = fmt.Sprint(e.Path[1])
			}
		}
		for _, v := range op.VariableDefinitions {
			if v.Variable == name {
				return nil, &gqlError{Message: fmt.Sprintf("Variable $%s of type %s was provided invalid value", v.Variable, v.Type.String()),
					Locations:  []location{{Line: v.Position.Line, Column: v.Position.Column}},
					Extensions: map[string]any{"code": "INVALID_VARIABLE", "value": vars[v.Variable], "problems": []any{map[string]any{"path": []any{}, "explanation": msg}}}}
			}
		}
		return nil, &gqlError{Message: msg, Extensions: map[string]any{"code": "INVALID_VARIABLE"}}
	}
	return coerced, nil
}

// run executes op's selection on root.
func (e *executor) run(op *ast.OperationDefinition, root *node) *omap {
	def := e.schema.Types[root.typ]
	out, _ := e.selection(def, root, op.SelectionSet, nil)
	return out
}

type collected struct {
	key    string
	fields []*ast.Field
}

func (e *executor) collect(set ast.SelectionSet, typ string, out *[]collected, index map[string]int) {
	for _, sel := range set {
		if !e.included(sel) {
			continue
		}
		switch s := sel.(type) {
		case *ast.Field:
			k := s.Alias
			if k == "" {
				k = s.Name
			}
			if i, ok := index[k]; ok {
				(*out)[i].fields = append((*out)[i].fields, s)
			} else {
				index[k] = len(*out)
				*out = append(*out, collected{key: k, fields: []*ast.Field{s}})
			}
		case *ast.FragmentSpread:
			f := e.doc.Fragments.ForName(s.Name)
			if f != nil && e.applies(f.TypeCondition, typ) {
				e.collect(f.SelectionSet, typ, out, index)
			}
		case *ast.InlineFragment:
			if s.TypeCondition == "" || e.applies(s.TypeCondition, typ) {
				e.collect(s.SelectionSet, typ, out, index)
			}
		}
	}
}

func (e *executor) included(sel ast.Selection) bool {
	var dirs ast.DirectiveList
	switch s := sel.(type) {
	case *ast.Field:
		dirs = s.Directives
	case *ast.FragmentSpread:
		dirs = s.Directives
	case *ast.InlineFragment:
		dirs = s.Directives
	}
	if d := dirs.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(e.vars)["if"].(bool); v {
			return false
		}
	}
	if d := dirs.ForName("include"); d != nil {
		if v, _ := d.ArgumentMap(e.vars)["if"].(bool); !v {
			return false
		}
	}
	return true
}

func (e *executor) applies(cond, typ string) bool {
	if cond == typ {
		return true
	}
	def := e.schema.Types[cond]
	if def == nil {
		return false
	}
	for _, p := range e.schema.GetPossibleTypes(def) {
		if p.Name == typ {
			return true
		}
	}
	return false
}

// selection resolves a selection set on n; ok=false means a non-null field came out
// null and the null moves up to the parent.
func (e *executor) selection(def *ast.Definition, n *node, set ast.SelectionSet, path []any) (*omap, bool) {
	e.actual += objectCost(def.Name)
	var fields []collected
	e.collect(set, n.typ, &fields, map[string]int{})
	out := newOmap()
	for _, c := range fields {
		f := c.fields[0]
		p := append(append([]any{}, path...), c.key)
		if f.Name == "__typename" {
			out.set(c.key, n.typ)
			continue
		}
		fd := def.Fields.ForName(f.Name)
		if fd == nil {
			e.errs = append(e.errs, gqlError{Message: fmt.Sprintf("Field '%s' doesn't exist on type '%s'", f.Name, def.Name), Path: p})
			return nil, false
		}
		raw, ok := n.f[f.Name]
		if !ok {
			e.errs = append(e.errs, gqlError{Message: fmt.Sprintf("shopifysim does not simulate %s.%s", def.Name, f.Name), Path: p,
				Extensions: map[string]any{"code": "NOT_SIMULATED"}})
			out.set(c.key, nil)
			if fd.Type.NonNull {
				return nil, false
			}
			continue
		}
		if r, isFn := raw.(resolver); isFn {
			v, err := r(f.ArgumentMap(e.vars))
			if err != nil {
				ge := gqlError{Message: err.Error(), Path: p, Locations: []location{{Line: f.Position.Line, Column: f.Position.Column}}}
				if fe, ok := err.(*fieldError); ok && fe.code != "" {
					ge.Extensions = map[string]any{"code": fe.code}
				}
				e.errs = append(e.errs, ge)
				out.set(c.key, nil)
				if fd.Type.NonNull {
					return nil, false
				}
				continue
			}
			raw = v
		}
		var merged ast.SelectionSet
		for _, x := range c.fields {
			merged = append(merged, x.SelectionSet...)
		}
		v, ok := e.complete(fd.Type, raw, merged, p)
		if !ok {
			out.set(c.key, nil)
			if fd.Type.NonNull {
				return nil, false
			}
			continue
		}
		out.set(c.key, v)
	}
	return out, true
}

func (e *executor) complete(t *ast.Type, v any, set ast.SelectionSet, path []any) (any, bool) {
	if isNil(v) {
		if t.NonNull {
			e.errs = append(e.errs, gqlError{Message: "shopifysim: null for non-null " + t.String(), Path: path, Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}})
			return nil, false
		}
		return nil, true
	}
	if t.Elem != nil {
		items, ok := v.([]any)
		if !ok {
			e.errs = append(e.errs, gqlError{Message: fmt.Sprintf("shopifysim: %T for list %s", v, t.String()), Path: path})
			return nil, false
		}
		out := make([]any, 0, len(items))
		for i, it := range items {
			x, ok := e.complete(t.Elem, it, set, append(append([]any{}, path...), i))
			if !ok {
				if t.NonNull {
					return nil, false
				}
				return nil, true
			}
			out = append(out, x)
		}
		return out, true
	}
	def := e.schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Scalar, ast.Enum:
		return v, true
	}
	n, ok := v.(*node)
	if !ok {
		e.errs = append(e.errs, gqlError{Message: fmt.Sprintf("shopifysim: %T for %s", v, t.NamedType), Path: path})
		return nil, false
	}
	concrete := e.schema.Types[n.typ]
	if concrete == nil || !e.applies(t.NamedType, n.typ) {
		e.errs = append(e.errs, gqlError{Message: fmt.Sprintf("shopifysim: %s is not a %s", n.typ, t.NamedType), Path: path})
		return nil, false
	}
	m, ok := e.selection(concrete, n, set, path)
	if !ok {
		return nil, false
	}
	return m, true
}

func isNil(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case *node:
		return x == nil
	}
	return false
}

// objectCost is what one object of type typ adds to a query's actual cost: Shopify
// counts objects 1 and connections 2; edges and page info ride along.
func objectCost(typ string) int {
	switch {
	case strings.HasSuffix(typ, "Connection"):
		return 2
	case strings.HasSuffix(typ, "Edge"), typ == "PageInfo", typ == "QueryRoot", typ == "Mutation":
		return 0
	}
	return 1
}

// requestedCost is Shopify's calculated query cost, before running: scalars and enums
// 0, objects 1, connections 2 plus their page size times a node's cost, lists sized by
// their first argument, each mutation field 10.
func (e *executor) requestedCost(op *ast.OperationDefinition) int {
	if op.Operation == ast.Mutation {
		var fields []collected
		e.collect(op.SelectionSet, "Mutation", &fields, map[string]int{})
		return 10 * len(fields)
	}
	return e.setCost(e.schema.Types["QueryRoot"], op.SelectionSet)
}

func (e *executor) setCost(def *ast.Definition, set ast.SelectionSet) int {
	types := []*ast.Definition{def}
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		types = e.schema.GetPossibleTypes(def)
	}
	best := 0
	for _, t := range types {
		var fields []collected
		e.collect(set, t.Name, &fields, map[string]int{})
		sum := 0
		for _, c := range fields {
			f := c.fields[0]
			fd := t.Fields.ForName(f.Name)
			if fd == nil {
				continue
			}
			var merged ast.SelectionSet
			for _, x := range c.fields {
				merged = append(merged, x.SelectionSet...)
			}
			sum += e.fieldCost(fd, f, merged)
		}
		best = max(best, sum)
	}
	return best
}

func (e *executor) fieldCost(fd *ast.FieldDefinition, f *ast.Field, set ast.SelectionSet) int {
	named := e.schema.Types[fd.Type.Name()]
	if named == nil || named.Kind == ast.Scalar || named.Kind == ast.Enum {
		return 0
	}
	args := f.ArgumentMap(e.vars)
	size := 1
	for _, k := range []string{"first", "last"} {
		if n, ok := toInt(args[k]); ok {
			size = n
		}
	}
	if strings.HasSuffix(named.Name, "Connection") {
		nodeType := connectionNode(e.schema, named)
		nodeCost := 0
		var fields []collected
		e.collect(set, named.Name, &fields, map[string]int{})
		for _, c := range fields {
			for _, x := range c.fields {
				switch x.Name {
				case "nodes":
					nodeCost = max(nodeCost, 1+e.setCost(nodeType, x.SelectionSet))
				case "edges":
					var inner []collected
					e.collect(x.SelectionSet, named.Name[:len(named.Name)-len("Connection")]+"Edge", &inner, map[string]int{})
					for _, ic := range inner {
						for _, y := range ic.fields {
							if y.Name == "node" {
								nodeCost = max(nodeCost, 1+e.setCost(nodeType, y.SelectionSet))
							}
						}
					}
				}
			}
		}
		return 2 + size*nodeCost
	}
	child := 1 + e.setCost(named, set)
	if fd.Type.Elem != nil {
		return size * child
	}
	return child
}

func connectionNode(s *ast.Schema, conn *ast.Definition) *ast.Definition {
	if f := conn.Fields.ForName("nodes"); f != nil {
		return s.Types[f.Type.Name()]
	}
	return s.Types[strings.TrimSuffix(conn.Name, "Connection")]
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// item is one element of a connection: the node and the key that orders it (and is
// its cursor).
type item struct {
	key string
	n   *node
}

// MaxPageSize is the largest first/last Shopify accepts.
const MaxPageSize = 250

// connection pages items (sorted by key ascending) as typ (e.g. "OrderConnection") by
// the standard first/after/last/before arguments.
func (e *executor) connection(typ string, items []item, args map[string]any) (any, error) {
	first, hasFirst := toInt(args["first"])
	last, hasLast := toInt(args["last"])
	if !e.bulk {
		if !hasFirst && !hasLast {
			return nil, errorf("", "you must provide one of first or last")
		}
		if (hasFirst && (first < 0 || first > MaxPageSize)) || (hasLast && (last < 0 || last > MaxPageSize)) {
			return nil, errorf("", "The page size must be between 0 and %d", MaxPageSize)
		}
	}
	desc, _ := args["reverse"].(bool)
	if desc {
		items = append([]item{}, items...)
		sort.SliceStable(items, func(i, j int) bool { return items[i].key > items[j].key })
	}
	// past says whether an item comes after cursor key k in the current direction.
	past := func(i int, k string) bool {
		if desc {
			return items[i].key < k
		}
		return items[i].key > k
	}
	lo, hi := 0, len(items)
	if a, ok := args["after"].(string); ok && a != "" {
		k, err := decodeCursor(a)
		if err != nil {
			return nil, err
		}
		for lo < hi && !past(lo, k) {
			lo++
		}
	}
	if b, ok := args["before"].(string); ok && b != "" {
		k, err := decodeCursor(b)
		if err != nil {
			return nil, err
		}
		for hi > lo && (past(hi-1, k) || items[hi-1].key == k) {
			hi--
		}
	}
	hasNext, hasPrev := false, lo > 0
	if !e.bulk {
		if hasFirst && hi-lo > first {
			hi, hasNext = lo+first, true
		}
		if hasLast && hi-lo > last {
			lo, hasPrev = hi-last, true
		}
	}
	if hi < len(items) {
		hasNext = true
	}
	page := items[lo:hi]
	edgeType := strings.TrimSuffix(typ, "Connection") + "Edge"
	nodes := make([]any, 0, len(page))
	edges := make([]any, 0, len(page))
	for _, it := range page {
		nodes = append(nodes, it.n)
		edges = append(edges, &node{typ: edgeType, f: map[string]any{"node": it.n, "cursor": encodeCursor(it.key)}})
	}
	pi := map[string]any{"hasNextPage": hasNext, "hasPreviousPage": hasPrev, "startCursor": nil, "endCursor": nil}
	if len(page) > 0 {
		pi["startCursor"] = encodeCursor(page[0].key)
		pi["endCursor"] = encodeCursor(page[len(page)-1].key)
	}
	return &node{typ: typ, f: map[string]any{"nodes": nodes, "edges": edges, "pageInfo": &node{typ: "PageInfo", f: pi}}}, nil
}

func encodeCursor(key string) string {
	b, _ := json.Marshal(map[string]string{"k": key})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	var v map[string]string
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil || v["k"] == "" {
		return "", errorf("", "Invalid cursor for current pagination sort.")
	}
	return v["k"], nil
}

// indexKey orders the elements of a nested connection by position.
func indexKey(i int) string { return fmt.Sprintf("%08d", i) }

// QueryCost is the requested cost the simulator computes for query with vars, as
// Shopify would before running it.
func (s *Sim) QueryCost(query, opName string, vars map[string]any) (int, error) {
	doc, errs := parseAndValidate(s.schema, query)
	if errs != nil {
		return 0, fmt.Errorf("%s", errs[0].Message)
	}
	op, gerr := operation(doc, opName)
	if gerr != nil {
		return 0, fmt.Errorf("%s", gerr.Message)
	}
	ex := &executor{schema: s.schema, doc: doc, vars: vars}
	return ex.requestedCost(op), nil
}
