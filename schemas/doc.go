// Package schemas owns Synco's Kafka contracts: the Avro schemas in avro/*.avsc and
// the Go types that match them. Every stage encodes and decodes through these.
package schemas
