module github.com/synco-dev/synco/ingest

go 1.26.8

require (
	github.com/synco-dev/synco/platform v0.0.0
	github.com/synco-dev/synco/rules v0.0.0
	github.com/synco-dev/synco/schemas v0.0.0
	github.com/synco-dev/synco/shopify v0.0.0
)

require (
	github.com/prometheus/client_golang v1.25.0 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	github.com/twmb/franz-go v1.22.3 // indirect
)

replace (
	github.com/synco-dev/synco/platform => ../platform
	github.com/synco-dev/synco/rules => ../rules
	github.com/synco-dev/synco/schemas => ../schemas
	github.com/synco-dev/synco/shopify => ../shopify
)
