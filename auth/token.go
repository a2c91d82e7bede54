package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors from Tokens.Verify and ParseBearer. Expired is kept apart from
// invalid because a client should refresh on the first and sign in again on
// the second.
var (
	ErrTokenInvalid = errors.New("invalid access token")
	ErrTokenExpired = errors.New("access token expired")
)

// MaxTokenBytes bounds an access token's length; anything longer is refused
// before parsing. Ours are around 300 bytes.
const MaxTokenBytes = 4096

// Key is an HMAC secret and the key id that names it in a token's header.
type Key struct {
	ID     string // the JWT "kid"
	Secret []byte
}

// KeyFromSecret derives the kid from the secret itself, the first 8 bytes of
// SHA-256(secret) in hex, so rotating keys needs no separate key-id setting.
func KeyFromSecret(secret string) Key {
	sum := sha256.Sum256([]byte(secret))
	return Key{ID: hex.EncodeToString(sum[:8]), Secret: []byte(secret)}
}

// TokenConfig configures access tokens.
type TokenConfig struct {
	Issuer   string        // e.g. "hiremebahamas"
	Audience string        // e.g. "hiremebahamas-api"
	TTL      time.Duration // 15 minutes in production
	Leeway   time.Duration // clock skew allowed on exp and iat, e.g. 30s
	Current  Key           // signs new tokens
	Previous []Key         // still accepted for verification, during rotation
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Claims is what an access token asserts.
type Claims struct {
	UserID    string    // "sub"
	Role      string    // "role"
	ID        string    // "jti": random 128 bits, base64url
	IssuedAt  time.Time // "iat"
	ExpiresAt time.Time // "exp"
}

// Tokens issues and verifies HS256 access tokens.
type Tokens struct {
	issuer   string
	audience string
	ttl      time.Duration
	current  Key
	keys     map[string][]byte // by kid: Current and Previous
	now      func() time.Time
	parser   *jwt.Parser
}

// NewTokens checks cfg and returns Tokens for it.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("auth: token issuer is empty")
	case cfg.Audience == "":
		return nil, errors.New("auth: token audience is empty")
	case cfg.TTL <= 0:
		return nil, errors.New("auth: token TTL must be positive")
	case cfg.Leeway < 0:
		return nil, errors.New("auth: token leeway must not be negative")
	}
	t := &Tokens{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		ttl:      cfg.TTL,
		keys:     make(map[string][]byte, 1+len(cfg.Previous)),
		now:      cfg.Now,
	}
	if t.now == nil {
		t.now = time.Now
	}
	for i, k := range append([]Key{cfg.Current}, cfg.Previous...) {
		switch {
		case len(k.Secret) == 0:
			return nil, fmt.Errorf("auth: signing key %d has an empty secret", i)
		case k.ID == "":
			return nil, fmt.Errorf("auth: signing key %d has an empty id", i)
		}
		if _, dup := t.keys[k.ID]; dup {
			return nil, fmt.Errorf("auth: signing key id %q appears twice", k.ID)
		}
		// Copied so a caller reusing its slice cannot change a key in use.
		t.keys[k.ID] = append([]byte(nil), k.Secret...)
	}
	t.current = Key{ID: cfg.Current.ID, Secret: t.keys[cfg.Current.ID]}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
	return t, nil
}

// TTL is how long an issued token lasts.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue signs a token for userID acting as role with the current key.
func (t *Tokens) Issue(userID, role string) (token string, claims Claims, err error) {
	if userID == "" || role == "" {
		return "", Claims{}, errors.New("auth: token needs a user id and a role")
	}
	// Truncated as the token's NumericDates are, so the returned claims equal
	// what Verify will read back.
	now := t.now().Truncate(time.Second).UTC()
	var jti [16]byte
	_, _ = rand.Read(jti[:]) // never fails: crypto/rand crashes the program instead
	claims = Claims{
		UserID:    userID,
		Role:      role,
		ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
		IssuedAt:  now,
		ExpiresAt: now.Add(t.ttl),
	}
	// A map rather than jwt.RegisteredClaims because that encodes "aud" as an
	// array and we promise a single string.
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub":  claims.UserID,
		"role": claims.Role,
		"iss":  t.issuer,
		"aud":  t.audience,
		"iat":  claims.IssuedAt.Unix(),
		"exp":  claims.ExpiresAt.Unix(),
		"jti":  claims.ID,
	})
	tok.Header["kid"] = t.current.ID
	token, err = tok.SignedString(t.current.Secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("auth: signing token: %w", err)
	}
	return token, claims, nil
}

// tokenClaims is the decoding side: jwt.ClaimStrings accepts "aud" as a
// string or an array.
type tokenClaims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

var errNoIdentity = errors.New("token lacks sub or role")

// Validate joins the library's claim checks, so an expired token that is also
// missing its identity is reported as invalid, not expired.
func (c *tokenClaims) Validate() error {
	if c.Subject == "" || c.Role == "" {
		return errNoIdentity
	}
	return nil
}

// notOnlyExpiry lists every other claim failure the parser can report next to
// jwt.ErrTokenExpired. Signature and format failures stop parsing before claims
// are checked, so they never appear alongside it.
var notOnlyExpiry = []error{
	jwt.ErrTokenNotValidYet,
	jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrTokenInvalidAudience,
	jwt.ErrTokenInvalidIssuer,
	jwt.ErrTokenInvalidSubject,
	jwt.ErrTokenInvalidId,
	jwt.ErrTokenRequiredClaimMissing,
	jwt.ErrInvalidType,
	jwt.ErrTokenMalformed,
	jwt.ErrTokenUnverifiable,
	jwt.ErrTokenSignatureInvalid,
	errNoIdentity,
}

var (
	errTooLong    = fmt.Errorf("%w: longer than %d bytes", ErrTokenInvalid, MaxTokenBytes)
	errUnknownKid = errors.New("unknown or missing kid")
	errCritical   = errors.New("critical header extensions are not supported")
)

// Verify checks token's signature, algorithm (HS256 only), key id, issuer,
// audience, expiry (with the configured leeway) and identity claims. It
// returns an error matching ErrTokenExpired for a token that is valid but for
// its age, and one matching ErrTokenInvalid for anything else.
func (t *Tokens) Verify(token string) (Claims, error) {
	if len(token) > MaxTokenBytes {
		return Claims{}, errTooLong
	}
	var c tokenClaims
	_, err := t.parser.ParseWithClaims(token, &c, t.key)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) && !isAny(err, notOnlyExpiry) {
			return Claims{}, fmt.Errorf("%w: %w", ErrTokenExpired, err)
		}
		return Claims{}, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	out := Claims{UserID: c.Subject, Role: c.Role, ID: c.ID}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.UTC()
	}
	out.ExpiresAt = c.ExpiresAt.UTC() // present: the parser requires exp
	return out, nil
}

// key selects the verification key by the header's kid; the algorithm was
// already pinned by the parser, but is checked again here so that a change to
// the parser options cannot hand an HMAC secret to another algorithm.
func (t *Tokens) key(tok *jwt.Token) (any, error) {
	if tok.Method != jwt.SigningMethodHS256 {
		return nil, fmt.Errorf("unexpected signing method %v", tok.Header["alg"])
	}
	if _, ok := tok.Header["crit"]; ok {
		return nil, errCritical
	}
	kid, _ := tok.Header["kid"].(string)
	secret, ok := t.keys[kid]
	if !ok || kid == "" {
		return nil, errUnknownKid
	}
	return secret, nil
}

func isAny(err error, targets []error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
