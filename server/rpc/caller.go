package rpc

import (
	"context"
	"errors"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
)

type clientKey struct{}

// WithClient returns ctx carrying the caller's address.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

// ClientIP returns the caller's address as the interceptor chain resolved
// it, or "".
func ClientIP(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

// Accounts tells an account's current state.
type Accounts interface {
	GetUser(ctx context.Context, id string) (domain.User, error)
}

// Caller returns the signed-in caller's claims; the methods table
// guarantees them for methods that are not public.
func Caller(ctx context.Context) (auth.Claims, error) {
	c, ok := auth.ClaimsFrom(ctx)
	if !ok {
		return auth.Claims{}, Unauthenticated("MISSING_TOKEN", "sign in first: this method needs an access token")
	}
	return c, nil
}

// IsAdmin reports whether claims are an administrator's.
func IsAdmin(c auth.Claims) bool { return domain.Role(c.Role) == domain.RoleAdmin }

type accountKey struct{}

// WithCurrentAccount loads the account behind claims, refuses it if it is
// deactivated or gone, and returns ctx carrying it and claims with its
// current role.
func WithCurrentAccount(ctx context.Context, accts Accounts, claims auth.Claims) (context.Context, auth.Claims, error) {
	u, err := accts.GetUser(ctx, claims.UserID)
	if errors.Is(err, domain.ErrNotFound) || err == nil && !u.Active {
		return nil, auth.Claims{}, AccountInactive()
	}
	if err != nil {
		return nil, auth.Claims{}, err
	}
	claims.Role = string(u.Role)
	ctx = context.WithValue(auth.WithClaims(ctx, claims), accountKey{}, u)
	return ctx, claims, nil
}

// CurrentCaller returns the signed-in caller's claims and account as they
// are now. Methods that are not public have them from the authentication
// interceptor; a public method whose answer depends on who calls (a draft,
// a private profile) asks when that matters.
func CurrentCaller(ctx context.Context, accts Accounts) (auth.Claims, domain.User, error) {
	c, err := Caller(ctx)
	if err != nil {
		return auth.Claims{}, domain.User{}, err
	}
	if u, ok := ctx.Value(accountKey{}).(domain.User); ok {
		return c, u, nil
	}
	ctx, c, err = WithCurrentAccount(ctx, accts, c)
	if err != nil {
		return auth.Claims{}, domain.User{}, err
	}
	return c, ctx.Value(accountKey{}).(domain.User), nil
}

// AccountInactive refuses a caller whose account is gone or deactivated.
func AccountInactive() error {
	return domain.Errorf(domain.ErrUnauthenticated, "ACCOUNT_INACTIVE", "this account no longer exists or is deactivated")
}
