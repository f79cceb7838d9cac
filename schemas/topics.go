package schemas

import "strings"

// Topic names (CONTRACT.md).
const (
	TopicOrders      = "shopify.orders"
	TopicOrdersDLQ   = "shopify.orders.dlq"
	TopicSettings    = "synco.settings"
	TopicRequests    = "synco.requests"
	TopicCommands    = "odoo.commands"
	TopicCommandsDLQ = "odoo.commands.dlq"
	TopicOutcomes    = "synco.outcomes"
	TopicOutcomesDLQ = "synco.outcomes.dlq"
	TopicRequestsDLQ = "synco.requests.dlq"
	// TopicProcessorState is the processor's changelog: the latest applied version
	// of every order, compacted.
	TopicProcessorState = "synco.processor.state"
	// TopicOdooCatalog holds, per shop, the journals, income accounts and customers
	// read from its Odoo (compacted, key <shop>), for the settings screen.
	TopicOdooCatalog = "synco.odoo.catalog"
	// TopicJobs holds the state of every backfill, reconciliation and replay
	// (compacted, key <shop>/<kind>/<job id>): progress for the API and a backfill's
	// checkpoint to resume from.
	TopicJobs = "synco.jobs"
)

// RetryTopics are the delayed-retry topics of the Odoo sink, shortest delay first.
var RetryTopics = []string{"odoo.commands.retry.1m", "odoo.commands.retry.10m", "odoo.commands.retry.1h"}

// SchemaForTopic names the value schema of a topic.
func SchemaForTopic(topic string) string {
	switch {
	case topic == TopicOrders:
		return OrderEventSchema
	case topic == TopicSettings:
		return ShopSettingsSchema
	case strings.HasSuffix(topic, ".dlq"):
		// Dead letters keep the original value untouched (platform/deadletter).
		return ""
	case topic == TopicCommands || strings.HasPrefix(topic, TopicCommands+".retry."):
		return OrderSyncSchema
	case topic == TopicOutcomes:
		return SyncOutcomeSchema
	case topic == TopicRequests:
		return SyncRequestSchema
	case topic == TopicProcessorState:
		return OrderStateSchema
	case topic == TopicOdooCatalog:
		return OdooCatalogSchema
	case topic == TopicJobs:
		return JobSchema
	}
	return ""
}
