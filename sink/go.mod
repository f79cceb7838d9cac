module github.com/synco-dev/synco/sink

go 1.26.8

require (
	github.com/synco-dev/synco/odoosim v0.0.0
	github.com/synco-dev/synco/platform v0.0.0
	github.com/synco-dev/synco/rules v0.0.0
	github.com/synco-dev/synco/schemas v0.0.0
	github.com/twmb/franz-go v1.22.3
)

require (
	github.com/ClickHouse/ch-go v0.75.0 // indirect
	github.com/ClickHouse/clickhouse-go/v2 v2.51.0 // indirect
	github.com/andybalholm/brotli v1.2.7 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-faster/city v1.0.1 // indirect
	github.com/go-faster/errors v0.8.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/kolo/xmlrpc v0.0.0-20220921171641-a4b6fa1dd06b // indirect
	github.com/paulmach/orb v0.14.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/segmentio/asm v1.2.1 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace (
	github.com/synco-dev/synco/odoosim => ../odoosim
	github.com/synco-dev/synco/platform => ../platform
	github.com/synco-dev/synco/rules => ../rules
	github.com/synco-dev/synco/schemas => ../schemas
)
