package settings

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/platform/consume"
	"github.com/synco-dev/synco/platform/kafka/kafkatest"
	"github.com/synco-dev/synco/schemas"
)

func keyOf(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func TestParseKeys(t *testing.T) {
	for _, v := range []string{keyOf(1), hex.EncodeToString(bytes.Repeat([]byte{2}, 32)), keyOf(1) + ", " + keyOf(2),
		base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))} {
		if k, err := ParseKeys(v); err != nil || !k.Enabled() {
			t.Errorf("%q: %v", v, err)
		}
	}
	if k, err := ParseKeys(""); err != nil || k.Enabled() {
		t.Errorf("empty: %v %v", k, err)
	}
	for _, v := range []string{"secret", base64.StdEncoding.EncodeToString([]byte("too short")), keyOf(1) + ",nope"} {
		if _, err := ParseKeys(v); err == nil || !strings.Contains(err.Error(), "SYNCO_SECRET_KEY") {
			t.Errorf("%q accepted (%v)", v, err)
		}
	}
}

func TestSealAndOpen(t *testing.T) {
	k, _ := ParseKeys(keyOf(1))
	sec := ShopSecrets{AdminAPIToken: "shpat_secret_value", WebhookSecret: "whsec"}
	sealed, err := k.sealSecrets("a.myshopify.com", sec)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("shpat_secret_value")) || bytes.Contains(sealed, []byte("whsec")) {
		t.Fatal("the sealed value holds a secret in the clear")
	}
	if got, primary, err := k.openSecrets("a.myshopify.com", sealed); err != nil || got != sec || !primary {
		t.Fatalf("open: %+v %v %v", got, primary, err)
	}
	if _, _, err := k.openSecrets("b.myshopify.com", sealed); err == nil {
		t.Error("another shop's record opened it")
	}
	other, _ := ParseKeys(keyOf(9))
	if _, _, err := other.openSecrets("a.myshopify.com", sealed); err == nil || !strings.Contains(err.Error(), "not among the configured keys") {
		t.Errorf("wrong key: %v", err)
	}
	if _, _, err := (*Keys)(nil).openSecrets("a.myshopify.com", sealed); err == nil || !strings.Contains(err.Error(), "SYNCO_SECRET_KEY is not set") {
		t.Errorf("no key: %v", err)
	}
	tampered := append([]byte{}, sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, _, err := k.openSecrets("a.myshopify.com", tampered); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Errorf("tampered: %v", err)
	}
	if _, err := (*Keys)(nil).sealSecrets("a.myshopify.com", sec); err != ErrNoKey {
		t.Errorf("seal without a key: %v", err)
	}
}

// TestStoredSecrets: secrets set through the store are in Kafka only sealed, handed to
// nobody with the settings, survive a settings change, are re-sealed with a new key
// after a rotation, and say clearly when the key to open them is missing.
func TestStoredSecrets(t *testing.T) {
	ctx := context.Background()
	k := kafkatest.Start(t, schemas.TopicSettings)
	opts, sd, log := k.Opts, k.Serde, k.Log
	const shop = "a.myshopify.com"
	sec := ShopSecrets{AdminAPIToken: "shpat_stored_token_42", WebhookSecret: "stored-webhook-secret-42"}
	oldKey, newKey := keyOf(1), keyOf(2)
	open := func(keys string) *Store {
		k, err := ParseKeys(keys)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, opts, sd, log, nil, WithKeys(k))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	raw := func() [][]byte {
		var out [][]byte
		if err := readAll(ctx, opts, func(r *kgo.Record) { out = append(out, r.Value) }); err != nil {
			t.Fatal(err)
		}
		return out
	}

	s1 := open("")
	if err := s1.PutSecrets(ctx, shop, sec); err != ErrNoKey {
		t.Fatalf("without a key: %v", err)
	}
	s1 = open(oldKey)
	if err := s1.PutSecrets(ctx, shop, sec); err != nil {
		t.Fatal(err)
	}
	st, _ := s1.Get(shop)
	st.OrderPrefix = "X-"
	if err := s1.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, err := s1.Secrets(shop); err != nil || got != sec {
		t.Fatalf("secrets after a settings change: %+v %v", got, err)
	}
	if st, _ := s1.Get(shop); st.Secrets != nil || s1.Effective(shop).Secrets != nil || st.OrderPrefix != "X-" {
		t.Errorf("settings handed out with their secrets: %+v", st)
	}
	for _, v := range raw() {
		if bytes.Contains(v, []byte(sec.AdminAPIToken)) || bytes.Contains(v, []byte(sec.WebhookSecret)) {
			t.Fatal("a secret is in the settings topic in the clear")
		}
	}

	// A restart without the key, or with another: a clear error, the settings unharmed.
	if _, err := open(newKey).Secrets(shop); err == nil || !strings.Contains(err.Error(), "not among the configured keys") {
		t.Errorf("wrong key: %v", err)
	}
	if st, _ := open("").Get(shop); st.OrderPrefix != "X-" {
		t.Errorf("settings without the key: %+v", st)
	}
	// Rotation: new key first, old one after; the record is sealed again with the new.
	if got, err := open(newKey + "," + oldKey).Secrets(shop); err != nil || got != sec {
		t.Fatalf("rotated: %+v %v", got, err)
	}
	if got, err := open(newKey).Secrets(shop); err != nil || got != sec {
		t.Errorf("after the rotation, the new key alone: %+v %v", got, err)
	}
	// Cleared.
	s := open(newKey)
	if err := s.PutSecrets(ctx, shop, ShopSecrets{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Secrets(shop); err != nil || got != (ShopSecrets{}) {
		t.Errorf("cleared: %+v %v", got, err)
	}
}

func readAll(ctx context.Context, opts []kgo.Opt, fn func(*kgo.Record)) error {
	return consume.ReadToEnd(ctx, opts, schemas.TopicSettings, nil, fn)
}
