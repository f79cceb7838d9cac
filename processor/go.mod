module github.com/synco-dev/synco/processor

go 1.26.8

require (
	github.com/synco-dev/synco/platform v0.0.0
	github.com/synco-dev/synco/rules v0.0.0
	github.com/synco-dev/synco/schemas v0.0.0
	github.com/twmb/franz-go v1.22.3
)

require (
	github.com/go-viper/mapstructure/v2 v2.4.0 // indirect
	github.com/hamba/avro/v2 v2.31.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	github.com/twmb/franz-go/pkg/kadm v1.20.0 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
	github.com/twmb/franz-go/pkg/sr v1.8.0 // indirect
)

replace (
	github.com/synco-dev/synco/platform => ../platform
	github.com/synco-dev/synco/rules => ../rules
	github.com/synco-dev/synco/schemas => ../schemas
)
