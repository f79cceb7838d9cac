// Package metrics holds the Prometheus registry of one process and every metric family
// Synco exposes, declared once here so names and labels stay consistent across the
// stages (synco_<what>_<unit>, counters ending in _total, durations in seconds). The
// /metrics handler of both HTTP servers serves it.
package metrics

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is one process's metrics.
type Registry struct {
	*prometheus.Registry

	// Ingest.
	Webhooks       *prometheus.CounterVec   // topic, result
	WebhookSeconds *prometheus.HistogramVec // topic: from request to answer
	// Ingest's group commits (webhooks sharing one produce round trip).
	IngestGroupRecords prometheus.Histogram   // records per group commit
	IngestGroupSeconds prometheus.Histogram   // from sending a group to its last acknowledgement
	Reconciled         *prometheus.CounterVec // shop, result: listed, missing, stale, emitted
	// Processor.
	ProcessorEvents *prometheus.CounterVec // topic, result: decided, dropped, dead_letter
	// Every stage's outcomes (the order table's statuses).
	Outcomes *prometheus.CounterVec // stage, status
	// Consumers.
	ConsumerLag *prometheus.GaugeVec // group, topic, partition: records behind the high watermark
	// The Odoo sink.
	Retries           *prometheus.CounterVec   // topic: commands sent to a retry topic
	DeadLetters       *prometheus.CounterVec   // stage, reason: unreadable, refused, retries_exhausted
	OdooRPCSeconds    *prometheus.HistogramVec // shop, model, method, result: ok, fault, error
	OdooCallsPerOrder *prometheus.HistogramVec // shop
	OdooBreaker       *prometheus.GaugeVec     // endpoint, state: 1 for the breaker's current state
	// ClickHouse.
	ClickHouseBatchRows     prometheus.Histogram
	ClickHouseInsertSeconds *prometheus.HistogramVec // table
	// HTTP servers.
	HTTPSeconds *prometheus.HistogramVec // server, route, method, code
}

// New returns a registry with the Go runtime and process collectors and every family.
func New() *Registry {
	r := &Registry{Registry: prometheus.NewRegistry()}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.Webhooks = r.Counter("webhooks_total", "Shopify webhook deliveries by topic and answer.", "topic", "result")
	r.WebhookSeconds = r.Histogram("webhook_duration_seconds", "Time from a webhook's arrival to its answer (Kafka's acknowledgement included).", "topic")
	r.IngestGroupRecords = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "synco", Name: "ingest_group_records",
		Help: "Records per group commit of ingest's producer.", Buckets: prometheus.ExponentialBuckets(1, 2, 13)})
	r.IngestGroupSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "synco", Name: "ingest_group_seconds",
		Help: "Time from sending one of ingest's group commits to its last acknowledgement.", Buckets: prometheus.ExponentialBuckets(0.00025, 2, 14)})
	r.MustRegister(r.IngestGroupRecords, r.IngestGroupSeconds)
	r.Reconciled = r.Counter("reconcile_orders_total", "Orders the reconciliation looked at, by shop and result (listed, missing, stale, emitted).", "shop", "result")
	r.ProcessorEvents = r.Counter("processor_events_total", "Order events the processor read, by what became of them.", "topic", "result")
	r.Outcomes = r.Counter("outcomes_total", "Sync outcomes by stage and status.", "stage", "status")
	r.ConsumerLag = r.Gauge("consumer_lag", "Records between a consumer's position and its partition's high watermark.", "group", "topic", "partition")
	r.Retries = r.Counter("retries_total", "Commands sent to a delayed-retry topic.", "topic")
	r.DeadLetters = r.Counter("dead_letters_total", "Records kept in a dead-letter topic, by stage and reason.", "stage", "reason")
	r.OdooRPCSeconds = r.Histogram("odoo_rpc_duration_seconds", "Odoo RPC calls by shop, model and method, with their result (ok, fault, error).", "shop", "model", "method", "result")
	r.OdooCallsPerOrder = r.HistogramBuckets("odoo_calls_per_order", "Odoo RPC calls one command needed.", []float64{1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30}, "shop")
	r.OdooBreaker = r.Gauge("odoo_breaker_state", "Circuit breaker per Odoo endpoint: 1 on its current state (closed, open, half_open).", "endpoint", "state")
	r.ClickHouseBatchRows = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "synco", Name: "clickhouse_batch_rows",
		Help: "Outcomes per ClickHouse write.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)})
	r.MustRegister(r.ClickHouseBatchRows)
	r.ClickHouseInsertSeconds = r.Histogram("clickhouse_insert_duration_seconds", "ClickHouse inserts by table.", "table")
	r.HTTPSeconds = r.Histogram("http_request_duration_seconds", "HTTP requests by server, route, method and status code.", "server", "route", "method", "code")
	return r
}

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{})
}

// Counter registers a labelled counter.
func (r *Registry) Counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "synco", Name: name, Help: help}, labels)
	r.MustRegister(c)
	return c
}

// Gauge registers a labelled gauge.
func (r *Registry) Gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "synco", Name: name, Help: help}, labels)
	r.MustRegister(g)
	return g
}

// Histogram registers a labelled latency histogram in seconds.
func (r *Registry) Histogram(name, help string, labels ...string) *prometheus.HistogramVec {
	return r.HistogramBuckets(name, help, []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}, labels...)
}

// HistogramBuckets registers a labelled histogram with its own buckets.
func (r *Registry) HistogramBuckets(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "synco", Name: name, Help: help, Buckets: buckets}, labels)
	r.MustRegister(h)
	return h
}

// Partition labels a partition number.
func Partition(p int32) string { return strconv.Itoa(int(p)) }
