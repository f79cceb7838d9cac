package orders

import (
	"strings"

	"github.com/shopspring/decimal"
)

// minorUnits are the ISO 4217 currencies whose minor unit is not 2 digits.
var minorUnits = map[string]int32{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// CurrencyDecimals is the number of digits after the point of currency's minor unit.
func CurrencyDecimals(currency string) int32 {
	if d, ok := minorUnits[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// FormatMoney writes d with the currency's decimals; it never rounds away a digit that
// is there (an amount finer than the minor unit keeps its precision).
func FormatMoney(d decimal.Decimal, currency string) string {
	places := CurrencyDecimals(currency)
	if !d.Truncate(places).Equal(d) {
		places = -d.Exponent()
		for places > CurrencyDecimals(currency) && d.Truncate(places-1).Equal(d) {
			places--
		}
	}
	return d.StringFixed(places)
}
