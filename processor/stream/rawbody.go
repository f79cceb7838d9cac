package stream

import (
	"fmt"

	"github.com/synco-dev/synco/schemas"
	"github.com/synco-dev/synco/shopify/order"
)

// decodeRaw fills ev.Order from the webhook body ingest kept, when ingest left it
// undecoded (it only found the key and version, so a webhook is acknowledged without
// parsing it; the decoding happens here, spread over the partitions). The body must
// name the order the event is keyed by: its state lives under that key.
func (p *Processor) decodeRaw(ev *schemas.OrderEvent) error {
	if !ev.DecodeRaw {
		return nil
	}
	o, err := order.FromWebhook(ev.Raw) // the one normalizer (module shopify)
	if err != nil {
		return err
	}
	if o.ID != ev.OrderID {
		return fmt.Errorf("body is order %d, the event says %d", o.ID, ev.OrderID)
	}
	ev.Order, ev.DecodeRaw = o, false
	return nil
}
