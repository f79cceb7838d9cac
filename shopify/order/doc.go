// Package order is Synco's one normalizer of Shopify orders: a webhook (REST) body and
// an order read through the Admin GraphQL API become the same schemas.Order, and a
// refunds/create body the same schemas.Refund as the refund inside that order. Statuses
// are mapped onto the settings' vocabulary (status.go); money stays decimal; ids stay
// int64.
package order
