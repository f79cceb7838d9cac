// Package schema holds the pinned Admin GraphQL schema (SDL) for whoever needs the
// text at run time: the Shopify simulator validates queries against it, tests check
// operations with it. Importing it embeds ~3 MB; the client itself does not.
package schema

import (
	_ "embed"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Version is the API version of SDL (admin.APIVersion says the same; a test checks).
const Version = "2025-10"

//go:embed admin-2025-10.graphql
var SDL string

var (
	once   sync.Once
	parsed *ast.Schema
	err    error
)

// Load parses SDL once and returns the schema (shared: do not modify it).
func Load() (*ast.Schema, error) {
	once.Do(func() {
		parsed, err = gqlparser.LoadSchema(&ast.Source{Name: "admin-" + Version + ".graphql", Input: SDL})
	})
	return parsed, err
}
