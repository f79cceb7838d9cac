package shopifysim

// BaseURL is where Start serves s, for tests that build clients of their own.
func BaseURL(s *Sim) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}
