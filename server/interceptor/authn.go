package interceptor

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/server/rpc"
)

// authorize checks the caller against the method's access rule and returns a
// context carrying the caller's claims when a valid token was sent. For a
// method that is not public the claims are those of the account now: an
// access token outlives a deactivation or a change of role by up to its
// lifetime, and neither may wait that long to take effect.
func authorize(ctx context.Context, tokens *auth.Tokens, accts rpc.Accounts, methods rpc.Methods, method string) (context.Context, error) {
	row, ok := methods.Lookup(method)
	a := row.Access
	if !ok {
		return nil, rpc.WithReason(codes.PermissionDenied, "METHOD_NOT_PERMITTED", "this method is not available").Err()
	}
	header := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		v := md.Get("authorization")
		if len(v) > 1 {
			// Two credentials: which one counts would be a guess.
			return nil, rpc.Unauthenticated("TOKEN_INVALID", "send one Authorization header, not "+strconv.Itoa(len(v)))
		}
		if len(v) == 1 {
			header = v[0]
		}
	}
	if header == "" {
		if a.Public {
			return ctx, nil
		}
		return nil, rpc.Unauthenticated("MISSING_TOKEN", "sign in first: this method needs an access token")
	}
	raw, err := auth.ParseBearer(header)
	if err != nil {
		return nil, rpc.Unauthenticated("TOKEN_INVALID", "the Authorization header is not a valid bearer token")
	}
	claims, err := tokens.Verify(raw)
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrTokenExpired):
		return nil, rpc.Unauthenticated("TOKEN_EXPIRED", "the access token has expired; refresh it")
	default:
		return nil, rpc.Unauthenticated("TOKEN_INVALID", "the access token is not valid")
	}
	ctx = auth.WithClaims(ctx, claims)
	if a.Public {
		return ctx, nil
	}
	ctx, claims, err = rpc.WithCurrentAccount(ctx, accts, claims)
	if err != nil {
		return nil, err
	}
	if len(a.Roles) > 0 && !slices.Contains(a.Roles, domain.Role(claims.Role)) {
		return nil, rpc.WithReason(codes.PermissionDenied, "ROLE_NOT_PERMITTED", "your account's role may not do this").Err()
	}
	return ctx, nil
}

func authUnary(tokens *auth.Tokens, accts rpc.Accounts, methods rpc.Methods) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := authorize(ctx, tokens, accts, methods, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func authStream(tokens *auth.Tokens, accts rpc.Accounts, methods rpc.Methods) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := authorize(ss.Context(), tokens, accts, methods, info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
}
