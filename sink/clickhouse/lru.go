package clickhouse

import "container/list"

// lru remembers the most recently used orders' states, so that the common case (the
// sink outcome shortly after the processor's for the same order) needs no look-up.
type lru struct {
	max   int
	order *list.List // of *lruEntry, most recent first
	items map[orderKey]*list.Element
}

type lruEntry struct {
	key orderKey
	val orderState
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: make(map[orderKey]*list.Element)}
}

func (c *lru) get(k orderKey) (orderState, bool) {
	e, ok := c.items[k]
	if !ok {
		return orderState{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).val, true
}

func (c *lru) put(k orderKey, v orderState) {
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry{key: k, val: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruEntry).key)
	}
}

func (c *lru) remove(k orderKey) {
	if e, ok := c.items[k]; ok {
		c.order.Remove(e)
		delete(c.items, k)
	}
}
