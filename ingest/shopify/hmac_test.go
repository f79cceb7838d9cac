package shopify

import "testing"

func TestVerify(t *testing.T) {
	body := []byte(`{"id":1}`)
	sig := Sign("s3cret", body)
	if !Verify("s3cret", body, sig) {
		t.Error("good signature rejected")
	}
	for name, c := range map[string][2]string{
		"wrong secret": {"other", sig},
		"missing":      {"s3cret", ""},
		"not base64":   {"s3cret", "%%%"},
		"empty secret": {"", sig},
	} {
		if Verify(c[0], body, c[1]) {
			t.Errorf("%s: accepted", name)
		}
	}
	if Verify("s3cret", []byte(`{"id":2}`), sig) {
		t.Error("tampered body accepted")
	}
}
