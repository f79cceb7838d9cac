package admin

import (
	"fmt"
	"strconv"
	"strings"
)

// Shopify's ids exceed 2^53, so they are strings on the GraphQL wire ("gid://shopify/
// Order/820982911946154508") and int64 in Synco; never a float.

const gidPrefix = "gid://shopify/"

// GID is the global id of a resource ("Order", "LineItem", ...) with numeric id.
func GID(resource string, id int64) string {
	return gidPrefix + resource + "/" + strconv.FormatInt(id, 10)
}

// OrderGID is the global id of an order.
func OrderGID(id int64) string { return GID("Order", id) }

// ParseGID splits a global id into its resource and numeric id. Query parameters
// some ids carry ("gid://shopify/ShippingLine/1?type=...") are dropped.
func ParseGID(gid string) (resource string, id int64, err error) {
	rest, ok := strings.CutPrefix(gid, gidPrefix)
	if !ok {
		return "", 0, fmt.Errorf("not a Shopify global id: %q", gid)
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	resource, num, ok := strings.Cut(rest, "/")
	if !ok || resource == "" {
		return "", 0, fmt.Errorf("not a Shopify global id: %q", gid)
	}
	id, err = strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, fmt.Errorf("global id %q: bad numeric id", gid)
	}
	return resource, id, nil
}

// LegacyID is the numeric (REST) id inside a global id.
func LegacyID(gid string) (int64, error) {
	_, id, err := ParseGID(gid)
	return id, err
}
