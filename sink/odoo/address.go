package odoo

import (
	"context"
	"strings"

	"github.com/synco-dev/synco/schemas"
)

// Countries and states are resolved by ISO code (the name when the snapshot has no
// code): all countries once per Syncer, the states of a country the first time an
// address in it has a province.

type geoState struct {
	countriesLoaded bool
	countries       map[string]int64           // ISO code → id
	countryNames    map[string]int64           // lower name → id
	states          map[int64]map[string]int64 // country → code → id
	stateNames      map[int64]map[string]int64 // country → lower name → id
}

func (r *run) country(ctx context.Context, a *schemas.Address) (int64, error) {
	code := strings.ToUpper(strings.TrimSpace(a.CountryCode))
	name := strings.ToLower(strings.TrimSpace(a.Country))
	if code == "" && name == "" {
		return 0, nil
	}
	unlock := r.s.keys.lock("countries")
	defer unlock()
	r.s.mu.Lock()
	loaded := r.s.geo.countriesLoaded
	r.s.mu.Unlock()
	if !loaded {
		got, err := SearchRead(ctx, r.c, "res.country", nil, []string{"id", "code", "name"}, nil)
		if err != nil {
			return 0, err
		}
		r.s.mu.Lock()
		r.s.geo.countries, r.s.geo.countryNames = map[string]int64{}, map[string]int64{}
		for _, c := range got {
			r.s.geo.countries[strings.ToUpper(c.String("code"))] = c.ID()
			r.s.geo.countryNames[strings.ToLower(c.String("name"))] = c.ID()
		}
		r.s.geo.countriesLoaded = true
		r.s.mu.Unlock()
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if id := r.s.geo.countries[code]; id > 0 {
		return id, nil
	}
	if id := r.s.geo.countryNames[name]; id > 0 {
		return id, nil
	}
	r.warn("country %q of the address is not in Odoo; the address has no country", firstNonEmpty(a.CountryCode, a.Country))
	return 0, nil
}

func (r *run) state(ctx context.Context, country int64, a *schemas.Address) (int64, error) {
	code := strings.ToUpper(strings.TrimSpace(a.ProvinceCode))
	name := strings.ToLower(strings.TrimSpace(a.Province))
	if country == 0 || (code == "" && name == "") {
		return 0, nil
	}
	key := "states/" + itoa(country)
	unlock := r.s.keys.lock(key)
	defer unlock()
	r.s.mu.Lock()
	_, loaded := r.s.geo.states[country]
	r.s.mu.Unlock()
	if !loaded {
		got, err := SearchRead(ctx, r.c, "res.country.state", []any{[]any{"country_id", "=", country}}, []string{"id", "code", "name"}, nil)
		if err != nil {
			return 0, err
		}
		codes, names := map[string]int64{}, map[string]int64{}
		for _, s := range got {
			codes[strings.ToUpper(s.String("code"))] = s.ID()
			names[strings.ToLower(s.String("name"))] = s.ID()
		}
		r.s.mu.Lock()
		if r.s.geo.states == nil {
			r.s.geo.states, r.s.geo.stateNames = map[int64]map[string]int64{}, map[int64]map[string]int64{}
		}
		r.s.geo.states[country], r.s.geo.stateNames[country] = codes, names
		r.s.mu.Unlock()
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if id := r.s.geo.states[country][code]; id > 0 {
		return id, nil
	}
	if id := r.s.geo.stateNames[country][name]; id > 0 {
		return id, nil
	}
	r.warn("province %q of the address is not in Odoo; the address has no state", firstNonEmpty(a.ProvinceCode, a.Province))
	return 0, nil
}

// addressVals are the res.partner fields of a Shopify address.
func (r *run) addressVals(ctx context.Context, a *schemas.Address) (map[string]any, error) {
	v := map[string]any{}
	setIf(v, "street", a.Address1)
	setIf(v, "street2", a.Address2)
	setIf(v, "city", a.City)
	setIf(v, "zip", a.Zip)
	c, err := r.country(ctx, a)
	if err != nil {
		return nil, err
	}
	if c > 0 {
		v["country_id"] = c
		s, err := r.state(ctx, c, a)
		if err != nil {
			return nil, err
		}
		if s > 0 {
			v["state_id"] = s
		}
	}
	return v, nil
}

// addressName is the name on an address (the person, else the company).
func addressName(a *schemas.Address) string {
	return firstNonEmpty(a.Name, joinName(a.FirstName, a.LastName), a.Company)
}

func joinName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}

// sameAddress says whether two Shopify addresses are one place for one person.
func sameAddress(a, b *schemas.Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	n := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	return n(addressName(a)) == n(addressName(b)) && n(a.Address1) == n(b.Address1) && n(a.Address2) == n(b.Address2) &&
		n(a.City) == n(b.City) && n(a.Zip) == n(b.Zip) && n(a.CountryCode+a.Country) == n(b.CountryCode+b.Country) &&
		n(a.ProvinceCode+a.Province) == n(b.ProvinceCode+b.Province)
}

// addressKey identifies a delivery address in the Syncer's cache.
func addressKey(partner int64, a *schemas.Address) string {
	n := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	return strings.Join([]string{"delivery", itoa(partner), n(addressName(a)), n(a.Address1), n(a.Address2), n(a.City), n(a.Zip),
		n(a.CountryCode + a.Country), n(a.ProvinceCode + a.Province)}, "|")
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// delivery finds or creates the delivery contact of a shipping address under a
// partner. 0 means the partner's own address (or, for a partner created in this run
// with the delivery contact inside it, the one Odoo picks: that contact).
func (r *run) delivery(ctx context.Context, partner int64, ship *schemas.Address) (int64, error) {
	key := addressKey(partner, ship)
	r.s.mu.Lock()
	id, ok := r.s.deliveries[key]
	r.s.mu.Unlock()
	if ok {
		r.usedCache = r.usedCache || id > 0
		return id, nil
	}
	unlock := r.s.keys.lock("partner/" + itoa(partner))
	defer unlock()
	vals, err := r.addressVals(ctx, ship)
	if err != nil {
		return 0, err
	}
	name := addressName(ship)
	got, err := SearchRead(ctx, r.c, "res.partner", []any{[]any{"parent_id", "=", partner}, []any{"type", "=", "delivery"}},
		[]string{"id", "name", "street", "street2", "city", "zip", "country_id", "state_id"}, map[string]any{"order": "id"})
	if err != nil {
		return 0, err
	}
	for _, c := range got {
		if partnerMatches(c, name, vals) {
			id = c.ID()
			break
		}
	}
	if id == 0 {
		vals["type"], vals["parent_id"], vals["name"] = "delivery", partner, name
		setIf(vals, "phone", ship.Phone)
		if id, err = Create(ctx, r.c, "res.partner", vals, nil); err != nil {
			return 0, err
		}
		r.s.log.Info("odoo: created delivery address", "order", r.key, "id", id, "partner", partner)
	}
	r.s.mu.Lock()
	r.s.deliveries[key] = id
	r.s.mu.Unlock()
	return id, nil
}

// partnerMatches compares a read partner with the fields of an address.
func partnerMatches(p Record, name string, vals map[string]any) bool {
	n := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	if n(p.String("name")) != n(name) {
		return false
	}
	for _, f := range []string{"street", "street2", "city", "zip"} {
		want, _ := vals[f].(string)
		if n(p.String(f)) != n(want) {
			return false
		}
	}
	for _, f := range []string{"country_id", "state_id"} {
		want, _ := vals[f].(int64)
		if p.M2O(f) != want {
			return false
		}
	}
	return true
}
