package settings

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ShopSecrets are the credentials of a shop that can be stored in Synco (set through
// the API) instead of, or over, the config file's. Stored, they are sealed with
// AES-256-GCM under SYNCO_SECRET_KEY in the settings record; nothing else of Synco
// ever holds them in the clear outside a process's memory.
type ShopSecrets struct {
	AdminAPIToken string `json:"admin_api_token,omitempty"`
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// The shop's Odoo login, over the config's odoo.password and odoo.api_key.
	OdooPassword string `json:"odoo_password,omitempty"`
	OdooAPIKey   string `json:"odoo_api_key,omitempty"`
}

// Keys are the encryption keys of SYNCO_SECRET_KEY: the first seals, every one opens
// (the others are older keys, kept while records sealed with them are re-sealed).
type Keys struct {
	keys []key
}

type key struct {
	id   [4]byte // the first bytes of the key's SHA-256: which key sealed a record
	aead cipher.AEAD
}

// ErrNoKey is the answer to storing a secret without SYNCO_SECRET_KEY.
var ErrNoKey = errors.New("SYNCO_SECRET_KEY is not set: Synco stores no secret without a key to encrypt it")

// ParseKeys reads SYNCO_SECRET_KEY: one or more keys, comma-separated, the newest
// first, each 32 random bytes written as base64 (e.g. `openssl rand -base64 32`) or
// as 64 hex digits. Empty: no keys (secrets cannot be stored).
func ParseKeys(v string) (*Keys, error) {
	ks := &Keys{}
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		raw, err := decodeKey(part)
		if err != nil {
			return nil, fmt.Errorf("key %d of SYNCO_SECRET_KEY: %w", i+1, err)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("key %d of SYNCO_SECRET_KEY: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %d of SYNCO_SECRET_KEY: %w", i+1, err)
		}
		sum := sha256.Sum256(raw)
		var id [4]byte
		copy(id[:], sum[:4])
		ks.keys = append(ks.keys, key{id: id, aead: aead})
	}
	return ks, nil
}

func decodeKey(s string) ([]byte, error) {
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("decodes to %d bytes; want 32 (openssl rand -base64 32)", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("is neither base64 of 32 bytes nor 64 hex digits (openssl rand -base64 32)")
}

// Enabled reports whether there is a key to seal with.
func (k *Keys) Enabled() bool { return k != nil && len(k.keys) > 0 }

// sealed is the layout of a sealed value: version, key id, nonce, ciphertext+tag.
const sealedVersion = 1

// seal encrypts plain under the first key; shop is bound in as additional data, so a
// sealed value moved to another shop's record does not open.
func (k *Keys) seal(shop string, plain []byte) ([]byte, error) {
	if !k.Enabled() {
		return nil, ErrNoKey
	}
	p := k.keys[0]
	nonce := make([]byte, p.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealedVersion}, p.id[:]...)
	out = append(out, nonce...)
	return p.aead.Seal(out, nonce, plain, []byte(shop)), nil
}

// open decrypts a sealed value, saying clearly why it cannot.
func (k *Keys) open(shop string, sealed []byte) (plain []byte, primary bool, err error) {
	if len(sealed) < 5 || sealed[0] != sealedVersion {
		return nil, false, fmt.Errorf("the stored secrets of %s are not a sealed value Synco knows", shop)
	}
	if !k.Enabled() {
		return nil, false, fmt.Errorf("the stored secrets of %s cannot be decrypted: SYNCO_SECRET_KEY is not set (set the key they were stored with)", shop)
	}
	id := sealed[1:5]
	for i, c := range k.keys {
		if string(c.id[:]) != string(id) {
			continue
		}
		ns := c.aead.NonceSize()
		if len(sealed) < 5+ns {
			return nil, false, fmt.Errorf("the stored secrets of %s are cut short", shop)
		}
		plain, err := c.aead.Open(nil, sealed[5:5+ns], sealed[5+ns:], []byte(shop))
		if err != nil {
			return nil, false, fmt.Errorf("the stored secrets of %s cannot be decrypted: they were altered, or belong to another shop", shop)
		}
		return plain, i == 0, nil
	}
	return nil, false, fmt.Errorf("the stored secrets of %s cannot be decrypted with SYNCO_SECRET_KEY: they were sealed with key %x, which is not among the configured keys (add the old key after the new one: SYNCO_SECRET_KEY=new,old)", shop, id)
}

// sealSecrets and openSecrets are seal and open of ShopSecrets.
func (k *Keys) sealSecrets(shop string, s ShopSecrets) ([]byte, error) {
	if s == (ShopSecrets{}) {
		return nil, nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return k.seal(shop, b)
}

func (k *Keys) openSecrets(shop string, sealed []byte) (ShopSecrets, bool, error) {
	var s ShopSecrets
	if len(sealed) == 0 {
		return s, true, nil
	}
	plain, primary, err := k.open(shop, sealed)
	if err != nil {
		return s, false, err
	}
	if err := json.Unmarshal(plain, &s); err != nil {
		return s, false, fmt.Errorf("the stored secrets of %s: %w", shop, err)
	}
	return s, primary, nil
}
