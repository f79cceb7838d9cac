module github.com/synco-dev/synco/shopifysim

go 1.26.8

require (
	github.com/shopspring/decimal v1.6.0
	github.com/synco-dev/synco/schemas v0.0.0
	github.com/synco-dev/synco/shopify v0.0.0
	github.com/vektah/gqlparser/v2 v2.5.64
)

replace (
	github.com/synco-dev/synco/schemas => ../schemas
	github.com/synco-dev/synco/shopify => ../shopify
)
