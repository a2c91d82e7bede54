package auth

import "context"

// claimsKey is unexported so only this package can set or read the identity.
type claimsKey struct{}

// WithClaims returns a copy of ctx carrying the verified identity c.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the identity WithClaims stored in ctx, and false if
// there is none (an unauthenticated call).
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}
