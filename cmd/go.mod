module github.com/synco-dev/synco/cmd

go 1.26.8

require (
	github.com/synco-dev/synco/platform v0.0.0
	github.com/synco-dev/synco/rules v0.0.0
	github.com/synco-dev/synco/schemas v0.0.0
)

replace (
	github.com/synco-dev/synco/platform => ../platform
	github.com/synco-dev/synco/rules => ../rules
	github.com/synco-dev/synco/schemas => ../schemas
)
