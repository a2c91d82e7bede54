package server

import (
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/config"
)

// Access tokens name this service as issuer and audience.
const (
	tokenIssuer   = "hiremebahamas"
	tokenAudience = "hiremebahamas-api"
	tokenLeeway   = 30 * time.Second
)

// signingSecret is JWT_SECRET_KEY. Without one (development only;
// production refuses to start) it is a random one, and sessions and the
// links in mail sent end with the process.
func signingSecret(cfg config.Config, log *slog.Logger) string {
	if cfg.JWTSecretKey != "" {
		return cfg.JWTSecretKey
	}
	log.Warn("JWT_SECRET_KEY is unset: signing with a random key, so sessions and links in mail end when the process stops")
	return rand.Text() + rand.Text()
}

// newTokens signs with secret and still accepts the previous keys.
func newTokens(cfg config.Config, secret string) (*auth.Tokens, error) {
	previous := make([]auth.Key, 0, len(cfg.JWTPreviousKeys))
	for _, k := range cfg.JWTPreviousKeys {
		previous = append(previous, auth.KeyFromSecret(k))
	}
	return auth.NewTokens(auth.TokenConfig{
		Issuer: tokenIssuer, Audience: tokenAudience, TTL: cfg.AccessTokenTTL, Leeway: tokenLeeway,
		Current: auth.KeyFromSecret(secret), Previous: previous,
	})
}

// newLinks signs the links in mail that work without signing in, with keys
// derived from secret and still accepting those of the previous keys.
func newLinks(cfg config.Config, secret string) (*auth.LinkSigner, error) {
	return auth.NewLinkSigner(secret, cfg.JWTPreviousKeys...)
}
