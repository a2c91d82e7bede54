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

// newTokens signs with JWT_SECRET_KEY and still accepts the previous keys.
// Without a key (development only; production refuses to start) a random
// one is used and sessions end with the process.
func newTokens(cfg config.Config, log *slog.Logger) (*auth.Tokens, error) {
	secret := cfg.JWTSecretKey
	if secret == "" {
		log.Warn("JWT_SECRET_KEY is unset: signing with a random key, so sessions end when the process stops")
		secret = rand.Text() + rand.Text()
	}
	previous := make([]auth.Key, 0, len(cfg.JWTPreviousKeys))
	for _, k := range cfg.JWTPreviousKeys {
		previous = append(previous, auth.KeyFromSecret(k))
	}
	return auth.NewTokens(auth.TokenConfig{
		Issuer: tokenIssuer, Audience: tokenAudience, TTL: cfg.AccessTokenTTL, Leeway: tokenLeeway,
		Current: auth.KeyFromSecret(secret), Previous: previous,
	})
}
