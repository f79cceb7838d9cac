module github.com/synco-dev/synco/shopifysim

go 1.26.8

require (
	github.com/shopspring/decimal v1.6.0
	github.com/synco-dev/synco/schemas v0.0.0
	github.com/synco-dev/synco/shopify v0.0.0
	github.com/vektah/gqlparser/v2 v2.5.64
)

require (
	github.com/Khan/genqlient v0.8.1 // indirect
	github.com/agnivade/levenshtein v1.2.2 // indirect
	github.com/go-viper/mapstructure/v2 v2.4.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hamba/avro/v2 v2.31.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
)

replace (
	github.com/synco-dev/synco/schemas => ../schemas
	github.com/synco-dev/synco/shopify => ../shopify
)
