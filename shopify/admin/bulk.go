package admin

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

//go:embed operations/fragments.graphql
var fragmentsSource string

// bulkOrdersSkeleton is the bulk query for orders, written with the same fragments as
// the paged operations so a bulk line decodes into the same generated types. Bulk
// operations allow five connections nested two deep, and no pagination arguments:
// orders, their line items and shipping lines come in the JSONL; each refund's
// connections are fetched after (RefundDetail). QUERY and SORT are filled in.
const bulkOrdersSkeleton = `{
  orders(query: QUERY, sortKey: SORT) {
    edges {
      node {
        __typename
        ...OrderHeader
        transactions { ...TransactionFields }
        refunds { ...RefundHeader }
        lineItems { edges { node { __typename ...LineItemFields } } }
        shippingLines(includeRemovals: true) { edges { node { __typename ...ShippingLineFields } } }
      }
    }
  }
}`

// BulkOrdersQuery is the bulk query text for the orders in w: fragments inlined (a bulk
// query is a plain document without variables), the search string quoted.
func BulkOrdersQuery(w Window) (string, error) {
	q, err := w.Query()
	if err != nil {
		return "", err
	}
	src := strings.Replace(bulkOrdersSkeleton, "QUERY", strconv.Quote(q), 1)
	src = strings.Replace(src, "SORT", string(w.sortKey()), 1)
	return inlineFragments(src + "\n" + fragmentsSource)
}

// inlineFragments prints the document's first operation with every fragment spread
// replaced by the fragment's selections.
func inlineFragments(src string) (string, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: src})
	if err != nil {
		return "", fmt.Errorf("bulk query: %w", err)
	}
	if len(doc.Operations) == 0 {
		return "", fmt.Errorf("bulk query: no operation")
	}
	frags := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		frags[f.Name] = f
	}
	var fields func(set ast.SelectionSet, depth int) (string, error)
	fields = func(set ast.SelectionSet, depth int) (string, error) {
		if depth > 50 {
			return "", fmt.Errorf("bulk query: selections nest too deep")
		}
		var b strings.Builder
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				b.WriteString(" ")
				if s.Alias != "" && s.Alias != s.Name {
					b.WriteString(s.Alias + ": ")
				}
				b.WriteString(s.Name)
				if len(s.Arguments) > 0 {
					args := make([]string, 0, len(s.Arguments))
					for _, a := range s.Arguments {
						args = append(args, a.Name+": "+a.Value.String())
					}
					b.WriteString("(" + strings.Join(args, ", ") + ")")
				}
				if len(s.SelectionSet) > 0 {
					inner, err := fields(s.SelectionSet, depth+1)
					if err != nil {
						return "", err
					}
					b.WriteString(" {" + inner + " }")
				}
			case *ast.FragmentSpread:
				f, ok := frags[s.Name]
				if !ok {
					return "", fmt.Errorf("bulk query: unknown fragment %s", s.Name)
				}
				inner, err := fields(f.SelectionSet, depth+1)
				if err != nil {
					return "", err
				}
				b.WriteString(inner)
			case *ast.InlineFragment:
				inner, err := fields(s.SelectionSet, depth+1)
				if err != nil {
					return "", err
				}
				b.WriteString(" ... on " + s.TypeCondition + " {" + inner + " }")
			}
		}
		return b.String(), nil
	}
	body, err := fields(doc.Operations[0].SelectionSet, 0)
	if err != nil {
		return "", err
	}
	return "{" + body + " }", nil
}

// BulkOperation is the state of a bulk operation.
type BulkOperation = BulkOperationFields

// Bulk operation errors that a later try may not have.
const (
	CodeOperationInProgress = "OPERATION_IN_PROGRESS"
	CodeBulkFailed          = "BULK_OPERATION_FAILED"
)

// RunBulkQuery starts a bulk query. groupObjects makes Shopify write each object's
// children right after it, which lets ReadBulkOrders stream; Shopify says grouping is
// slower. Another query running for the app is a retriable *Error with Code
// OPERATION_IN_PROGRESS.
func (c *Client) RunBulkQuery(ctx context.Context, query string, groupObjects bool) (*BulkOperation, error) {
	r, err := BulkOperationRunQuery(ctx, c, query, groupObjects)
	if err != nil {
		return nil, err
	}
	p := r.BulkOperationRunQuery
	if p == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "BulkOperationRunQuery", Status: 200, Message: "no payload"}
	}
	var ues []UserError
	for _, u := range p.UserErrors {
		ue := UserError{Field: u.Field, Message: u.Message}
		if u.Code != nil {
			ue.Code = string(*u.Code)
		}
		ues = append(ues, ue)
	}
	if err := userErrors(c.cfg.Shop, "BulkOperationRunQuery", ues); err != nil {
		if HasCode(err, CodeOperationInProgress) {
			err.(*Error).Retriable = true
		}
		return nil, err
	}
	if p.BulkOperation == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "BulkOperationRunQuery", Status: 200, Message: "no bulk operation in the answer"}
	}
	op := *p.BulkOperation
	return &op, nil
}

// WaitBulk polls until the operation id ends, calling progress (if not nil) after each
// poll. A COMPLETED operation is returned; FAILED, CANCELED or EXPIRED is an *Error
// (retriable unless Shopify says ACCESS_DENIED).
func (c *Client) WaitBulk(ctx context.Context, id string, every time.Duration, progress func(*BulkOperation)) (*BulkOperation, error) {
	if every <= 0 {
		every = 2 * time.Second
	}
	for {
		r, err := CurrentBulkOperation(ctx, c)
		if err != nil {
			return nil, err
		}
		op := r.CurrentBulkOperation
		if op == nil || op.Id != id {
			return nil, &Error{Shop: c.cfg.Shop, Op: "CurrentBulkOperation", Status: 200, Code: CodeBulkFailed, Message: "bulk operation " + id + " is no longer the current one", Retriable: true}
		}
		cur := *op
		if progress != nil {
			progress(&cur)
		}
		switch cur.Status {
		case BulkOperationStatusCompleted:
			return &cur, nil
		case BulkOperationStatusFailed, BulkOperationStatusCanceled, BulkOperationStatusExpired:
			e := &Error{Shop: c.cfg.Shop, Op: "CurrentBulkOperation", Status: 200, Code: CodeBulkFailed, Message: "bulk operation " + string(cur.Status), Retriable: true}
			if cur.ErrorCode != nil {
				e.Message += ": " + string(*cur.ErrorCode)
				e.Retriable = *cur.ErrorCode != BulkOperationErrorCodeAccessDenied
			}
			return nil, e
		}
		if err := c.sleep(ctx, every); err != nil {
			return nil, transportError(c.cfg.Shop, "CurrentBulkOperation", err)
		}
	}
}

// BulkResult opens the JSONL of a completed operation. The URL is pre-signed storage:
// it gets no access token. Transient failures are retried like any call.
func (c *Client) BulkResult(ctx context.Context, url string) (io.ReadCloser, error) {
	const op = "BulkResult"
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, &Error{Shop: c.cfg.Shop, Op: op, Message: "bad result URL: " + err.Error()}
		}
		resp, err := c.http.Do(req)
		var e *Error
		switch {
		case err != nil:
			e = transportError(c.cfg.Shop, op, err)
		case resp.StatusCode == http.StatusOK:
			return resp.Body, nil
		default:
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			e = &Error{Shop: c.cfg.Shop, Op: op, Status: resp.StatusCode, Message: strings.TrimSpace(string(b)), Retriable: retriableStatus(resp.StatusCode)}
		}
		if !e.Retriable || attempt >= c.cfg.MaxAttempts {
			return nil, e
		}
		if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
			return nil, transportError(c.cfg.Shop, op, err)
		}
	}
}

// maxBulkLine bounds one JSONL line (one object without its connections).
const maxBulkLine = 64 << 20

// ReadBulkOrders reads the JSONL of BulkOrdersQuery: order lines, and line item and
// shipping line lines that name their order in __parentId. grouped says the file was
// written with groupObjects (children right after their order): orders are then passed
// to fn as soon as the next order starts; otherwise all are held until the end. Refunds
// come as headers only (see Client.BulkOrders, which completes them).
func ReadBulkOrders(r io.Reader, grouped bool, fn func(*FullOrder) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxBulkLine)
	var pending []*FullOrder
	byID := map[string]*FullOrder{}
	flush := func() error {
		for _, o := range pending {
			if err := fn(o); err != nil {
				return err
			}
		}
		pending = pending[:0]
		clear(byID)
		return nil
	}
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var head struct {
			Typename string `json:"__typename"`
			ParentID string `json:"__parentId"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return fmt.Errorf("bulk result line %d: %w", n, err)
		}
		switch head.Typename {
		case "Order":
			if grouped {
				if err := flush(); err != nil {
					return err
				}
			}
			var o struct {
				OrderHeader
				Transactions []TransactionFields `json:"transactions"`
				Refunds      []RefundHeader      `json:"refunds"`
			}
			if err := json.Unmarshal(line, &o); err != nil {
				return fmt.Errorf("bulk result line %d (order): %w", n, err)
			}
			full := &FullOrder{OrderHeader: o.OrderHeader, Transactions: o.Transactions, LineItems: []LineItemFields{}, ShippingLines: []ShippingLineFields{}}
			for _, h := range o.Refunds {
				full.Refunds = append(full.Refunds, FullRefund{RefundHeader: h})
			}
			pending = append(pending, full)
			byID[full.Id] = full
		case "LineItem", "ShippingLine":
			parent, ok := byID[head.ParentID]
			if !ok {
				return fmt.Errorf("bulk result line %d: %s of unknown order %q", n, head.Typename, head.ParentID)
			}
			if head.Typename == "LineItem" {
				var li LineItemFields
				if err := json.Unmarshal(line, &li); err != nil {
					return fmt.Errorf("bulk result line %d (line item): %w", n, err)
				}
				parent.LineItems = append(parent.LineItems, li)
			} else {
				var sl ShippingLineFields
				if err := json.Unmarshal(line, &sl); err != nil {
					return fmt.Errorf("bulk result line %d (shipping line): %w", n, err)
				}
				parent.ShippingLines = append(parent.ShippingLines, sl)
			}
		default:
			return fmt.Errorf("bulk result line %d: unexpected object %q", n, head.Typename)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("bulk result: %w", err)
	}
	return flush()
}

// BulkOptions tune BulkOrders.
type BulkOptions struct {
	Poll     time.Duration           // between status polls; 0 means 2 s
	Progress func(op *BulkOperation) // after each poll
	// Ungrouped asks Shopify not to group children under their order (faster for
	// Shopify, but every order is held in memory until the file ends).
	Ungrouped bool
}

// BulkOrders runs a bulk query for the orders in w, waits for it, reads the result and
// calls fn with each complete order (refunds fetched with RefundDetail).
func (c *Client) BulkOrders(ctx context.Context, w Window, opts BulkOptions, fn func(*FullOrder) error) error {
	q, err := BulkOrdersQuery(w)
	if err != nil {
		return err
	}
	op, err := c.RunBulkQuery(ctx, q, !opts.Ungrouped)
	if err != nil {
		return err
	}
	done, err := c.WaitBulk(ctx, op.Id, opts.Poll, opts.Progress)
	if err != nil {
		return err
	}
	if done.Url == nil || *done.Url == "" {
		return nil // Shopify writes no file when nothing matched
	}
	body, err := c.BulkResult(ctx, *done.Url)
	if err != nil {
		return err
	}
	defer body.Close()
	return ReadBulkOrders(body, !opts.Ungrouped, func(o *FullOrder) error {
		heads := make([]RefundHeader, 0, len(o.Refunds))
		for _, r := range o.Refunds {
			heads = append(heads, r.RefundHeader)
		}
		if err := c.completeRefunds(ctx, o, heads); err != nil {
			return err
		}
		return fn(o)
	})
}
