package admin

import (
	"context"
	"strings"
)

// WebhookSubscription is one of the app's webhook subscriptions.
type WebhookSubscription = WebhookSubscriptionFields

// TopicFromREST turns a webhook topic as headers name it ("orders/create") into the
// GraphQL enum (ORDERS_CREATE).
func TopicFromREST(topic string) WebhookSubscriptionTopic {
	return WebhookSubscriptionTopic(strings.ToUpper(strings.NewReplacer("/", "_").Replace(topic)))
}

// TopicToREST is the inverse of TopicFromREST for Synco's topics (one slash, between
// the resource and the event).
func TopicToREST(t WebhookSubscriptionTopic) string {
	s := strings.ToLower(string(t))
	if i := strings.IndexByte(s, '_'); i >= 0 {
		// The resource is the longest prefix among the topics Synco knows.
		for _, res := range []string{"app", "customers", "orders", "refunds", "shop"} {
			if strings.HasPrefix(s, res+"_") {
				return res + "/" + s[len(res)+1:]
			}
		}
		return s[:i] + "/" + s[i+1:]
	}
	return s
}

// WebhookSubscriptions lists the app's subscriptions, of the given topics (all when
// none), every page.
func (c *Client) WebhookSubscriptions(ctx context.Context, topics ...WebhookSubscriptionTopic) ([]WebhookSubscription, error) {
	var out []WebhookSubscription
	var after *string
	for {
		r, err := WebhookSubscriptions(ctx, c, 100, after, topics)
		if err != nil {
			return nil, err
		}
		out = append(out, r.WebhookSubscriptions.Nodes...)
		pi := r.WebhookSubscriptions.PageInfo
		if !pi.HasNextPage || pi.EndCursor == nil {
			return out, nil
		}
		after = pi.EndCursor
	}
}

// CreateWebhookSubscription subscribes uri to topic (JSON). A subscription of the same
// topic and address exists already: a permanent *Error whose UserErrors say "Address for
// this topic has already been taken"; list first to find it.
func (c *Client) CreateWebhookSubscription(ctx context.Context, topic WebhookSubscriptionTopic, uri string) (*WebhookSubscription, error) {
	format := WebhookSubscriptionFormatJson
	r, err := WebhookSubscriptionCreate(ctx, c, topic, WebhookSubscriptionInput{Uri: &uri, Format: &format})
	if err != nil {
		return nil, err
	}
	p := r.WebhookSubscriptionCreate
	if p == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "WebhookSubscriptionCreate", Status: 200, Message: "no payload"}
	}
	var ues []UserError
	for _, u := range p.UserErrors {
		ues = append(ues, UserError{Field: u.Field, Message: u.Message})
	}
	if err := userErrors(c.cfg.Shop, "WebhookSubscriptionCreate", ues); err != nil {
		return nil, err
	}
	if p.WebhookSubscription == nil {
		return nil, &Error{Shop: c.cfg.Shop, Op: "WebhookSubscriptionCreate", Status: 200, Message: "no subscription in the answer"}
	}
	s := *p.WebhookSubscription
	return &s, nil
}

// DeleteWebhookSubscription deletes the subscription with global id id. One that does
// not exist is a permanent *Error (its user error says so).
func (c *Client) DeleteWebhookSubscription(ctx context.Context, id string) error {
	r, err := WebhookSubscriptionDelete(ctx, c, id)
	if err != nil {
		return err
	}
	p := r.WebhookSubscriptionDelete
	if p == nil {
		return &Error{Shop: c.cfg.Shop, Op: "WebhookSubscriptionDelete", Status: 200, Message: "no payload"}
	}
	var ues []UserError
	for _, u := range p.UserErrors {
		ues = append(ues, UserError{Field: u.Field, Message: u.Message})
	}
	return userErrors(c.cfg.Shop, "WebhookSubscriptionDelete", ues)
}
