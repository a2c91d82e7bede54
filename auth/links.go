package auth

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// LinkSigner signs the fields of a link in a mail, such as an unsubscribe
// link, so that the link works without signing in and cannot be made for
// another account. Its keys are derived from the access-token secrets, so
// there is no other secret to keep; a link signed before a key rotation
// still verifies while the old key is among the previous ones. Links do not
// expire: what they do is harmless to repeat.
type LinkSigner struct {
	keys [][]byte // the current key first
}

// PurposeUnsubscribe is what one-click unsubscribe links are signed for:
// their fields are the account's id and the kind of mail.
const PurposeUnsubscribe = "unsubscribe"

// linkKeyInfo binds the derived keys to this use, so that no link MAC is
// ever an access-token signature or the reverse.
const linkKeyInfo = "hiremebahamas mail link v1"

// linkMACBytes is how much of the HMAC-SHA256 a link carries: 128 bits.
const linkMACBytes = 16

// NewLinkSigner derives link keys from the current secret and the previous
// ones.
func NewLinkSigner(current string, previous ...string) (*LinkSigner, error) {
	if current == "" {
		return nil, errors.New("auth: a link signer needs a secret")
	}
	s := &LinkSigner{}
	for _, secret := range append([]string{current}, previous...) {
		k, err := hkdf.Key(sha256.New, []byte(secret), nil, linkKeyInfo, sha256.Size)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// ErrLinkInvalid is a link token that this service did not sign for the
// purpose, or that is not a token at all.
var ErrLinkInvalid = errors.New("auth: the link is invalid")

// Sign returns a URL-safe token carrying fields, signed for purpose, such
// as "unsubscribe". The fields are readable in the token; each must be
// non-empty and free of '.'.
func (s *LinkSigner) Sign(purpose string, fields ...string) string {
	for _, f := range fields {
		if f == "" || strings.Contains(f, ".") {
			panic("auth: a link field is empty or has a '.'")
		}
	}
	body := strings.Join(fields, ".")
	return body + "." + base64.RawURLEncoding.EncodeToString(linkMAC(s.keys[0], purpose, body))
}

// Verify returns the n fields of a token signed for purpose, or
// ErrLinkInvalid.
func (s *LinkSigner) Verify(purpose, token string, n int) ([]string, error) {
	body, sig, ok := cut(token)
	if !ok {
		return nil, ErrLinkInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(mac) != linkMACBytes {
		return nil, ErrLinkInvalid
	}
	fields := strings.Split(body, ".")
	if len(fields) != n {
		return nil, ErrLinkInvalid
	}
	for _, k := range s.keys {
		if hmac.Equal(mac, linkMAC(k, purpose, body)) {
			return fields, nil
		}
	}
	return nil, ErrLinkInvalid
}

// cut splits a token at its last '.': the fields, then the MAC.
func cut(token string) (body, sig string, ok bool) {
	i := strings.LastIndexByte(token, '.')
	if i <= 0 {
		return "", "", false
	}
	return token[:i], token[i+1:], true
}

// linkMAC is the truncated HMAC-SHA256 of the purpose and the fields; the
// purpose goes first, ended by a NUL that neither may contain, so that no
// two pairs give the same input.
func linkMAC(key []byte, purpose, body string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(body))
	return h.Sum(nil)[:linkMACBytes]
}
