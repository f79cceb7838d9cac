module github.com/synco-dev/synco/processor

go 1.26.8

require (
	github.com/synco-dev/synco/platform v0.0.0
	github.com/synco-dev/synco/rules v0.0.0
	github.com/synco-dev/synco/schemas v0.0.0
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/twmb/franz-go v1.22.3 // indirect
	github.com/twmb/franz-go/pkg/kadm v1.20.0 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
)

replace (
	github.com/synco-dev/synco/platform => ../platform
	github.com/synco-dev/synco/rules => ../rules
	github.com/synco-dev/synco/schemas => ../schemas
)
