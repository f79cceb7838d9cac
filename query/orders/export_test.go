package orders

// SetTermSearch switches the term tables on or off (the scan answers every search
// when off) and returns the way back.
func SetTermSearch(on bool) (restore func()) {
	was := useTerms
	useTerms = on
	return func() { useTerms = was }
}
