package clickhouse

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/synco-dev/synco/schemas"
)

// rowFrom (orders) and eventOf (sync_events) map an outcome field by field, side by
// side: every column the two tables share must come out the same, so a column added
// to one mapping and not the other fails here. The outcome has every field set.
func TestRowAndEventAgree(t *testing.T) {
	var o schemas.SyncOutcome
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	v := reflect.ValueOf(&o).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch p := f.Addr().Interface().(type) {
		case *string:
			*p = "x-" + name
		case *int64:
			*p = int64(100 + i)
		case *int32:
			*p = int32(100 + i)
		case *bool:
			*p = true
		case *[]string:
			*p = []string{"x-" + name}
		case *time.Time:
			*p = at.Add(time.Duration(i) * time.Hour)
		case **time.Time:
			t := at.Add(time.Duration(i) * time.Hour)
			*p = &t
		case *decimal.Decimal:
			*p = decimal.New(int64(100+i), -2)
		default:
			t.Fatalf("SyncOutcome.%s is a %s: teach this test to fill it", name, f.Type())
		}
	}
	row, ev := reflect.ValueOf(rowFrom(&o)), reflect.ValueOf(eventOf(&o))
	shared := 0
	// Column by column: the embedded structs' fields one by one, as chstore declares them.
	for _, f := range reflect.VisibleFields(row.Type()) {
		name := f.Name
		if f.Anonymous || name == "Version" { // the row's is set by fold, the event's is the order version
			continue
		}
		e := ev.FieldByName(name)
		if !e.IsValid() {
			continue
		}
		shared++
		r := row.FieldByIndex(f.Index)
		if !reflect.DeepEqual(r.Interface(), e.Interface()) {
			t.Errorf("%s: orders %v, sync_events %v", name, r.Interface(), e.Interface())
		}
		if r.IsZero() {
			t.Errorf("%s is not filled in from the outcome", name)
		}
	}
	if shared < 25 {
		t.Errorf("only %d shared columns compared", shared)
	}
}
