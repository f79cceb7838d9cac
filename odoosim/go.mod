module github.com/synco-dev/synco/odoosim

go 1.26.8

require (
	github.com/shopspring/decimal v1.6.0
	github.com/synco-dev/synco/xmlrpc v0.0.0
)

replace github.com/synco-dev/synco/xmlrpc => ../xmlrpc
