module github.com/synco-dev/synco/bench

go 1.26.8

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
)

tool golang.org/x/perf/cmd/benchstat

require (
	github.com/shopspring/decimal v1.6.0
	github.com/synco-dev/synco/schemas v0.0.0
	github.com/synco-dev/synco/sink v0.0.0
)
