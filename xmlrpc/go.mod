module github.com/synco-dev/synco/xmlrpc

go 1.26.8
