package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// access says who may call an RPC. Methods that are not public see the
// caller's account as it is now, not as the access token last described it
// (see currentCaller).
type access struct {
	public bool          // callable without a token; a token, if sent, must be valid
	roles  []domain.Role // with a token: the roles allowed; none means any
}

var (
	anyone        = access{public: true}
	signedIn      = access{}
	employers     = access{roles: []domain.Role{domain.RoleEmployer, domain.RoleAdmin}}
	administrator = access{roles: []domain.Role{domain.RoleAdmin}}
	seekers       = access{roles: []domain.Role{domain.RoleJobSeeker}}
)

// policy is the one place that says who may call what, for gRPC and REST
// alike. A method missing here is refused: new RPCs are closed until listed.
var policy = map[string]access{
	hmbv1.AuthService_Register_FullMethodName:       anyone,
	hmbv1.AuthService_Login_FullMethodName:          anyone,
	hmbv1.AuthService_Refresh_FullMethodName:        anyone,
	hmbv1.AuthService_Logout_FullMethodName:         anyone,
	hmbv1.AuthService_LogoutAll_FullMethodName:      signedIn,
	hmbv1.AuthService_ChangePassword_FullMethodName: signedIn,

	hmbv1.UserService_GetUser_FullMethodName:        anyone,
	hmbv1.UserService_GetMe_FullMethodName:          signedIn,
	hmbv1.UserService_UpdateMe_FullMethodName:       signedIn,
	hmbv1.UserService_DeleteMe_FullMethodName:       signedIn,
	hmbv1.UserService_ListUsers_FullMethodName:      employers,
	hmbv1.UserService_DeactivateUser_FullMethodName: administrator,
	hmbv1.UserService_ReactivateUser_FullMethodName: administrator,
	hmbv1.UserService_SetUserRole_FullMethodName:    administrator,

	// Ownership of a job or application is checked by the handlers.
	hmbv1.JobService_CreateJob_FullMethodName:               employers,
	hmbv1.JobService_GetJob_FullMethodName:                  anyone,
	hmbv1.JobService_GetJobStats_FullMethodName:             anyone,
	hmbv1.JobService_UpdateJob_FullMethodName:               employers,
	hmbv1.JobService_DeleteJob_FullMethodName:               employers,
	hmbv1.JobService_ListJobs_FullMethodName:                anyone,
	hmbv1.JobService_GetJobPosting_FullMethodName:           anyone,
	hmbv1.JobService_ApplyToJob_FullMethodName:              seekers,
	hmbv1.JobService_ListJobApplications_FullMethodName:     employers,
	hmbv1.JobService_ListMyApplications_FullMethodName:      signedIn,
	hmbv1.JobService_UpdateApplicationStatus_FullMethodName: employers,
	hmbv1.JobService_WithdrawApplication_FullMethodName:     signedIn,
	hmbv1.JobService_SaveJob_FullMethodName:                 signedIn,
	hmbv1.JobService_UnsaveJob_FullMethodName:               signedIn,
	hmbv1.JobService_ListSavedJobs_FullMethodName:           signedIn,
}

// accessFor returns the policy of a method. Probes and reflection are open.
func accessFor(method string) (access, bool) {
	if a, ok := policy[method]; ok {
		return a, true
	}
	service, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	if probeServices[service] || strings.HasPrefix(service, "grpc.reflection.") {
		return anyone, true
	}
	return access{}, false
}

// accounts tells an account's current state.
type accounts interface {
	GetUser(ctx context.Context, id string) (domain.User, error)
}

// authorize checks the caller against the method's policy and returns a
// context carrying the caller's claims when a valid token was sent. For a
// method that is not public the claims are those of the account now: an
// access token outlives a deactivation or a change of role by up to its
// lifetime, and neither may wait that long to take effect.
func authorize(ctx context.Context, tokens *auth.Tokens, accts accounts, method string) (context.Context, error) {
	a, ok := accessFor(method)
	if !ok {
		return nil, withReason(codes.PermissionDenied, "METHOD_NOT_PERMITTED", "this method is not available").Err()
	}
	header := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		v := md.Get("authorization")
		if len(v) > 1 {
			// Two credentials: which one counts would be a guess.
			return nil, unauthenticated("TOKEN_INVALID", "send one Authorization header, not "+strconv.Itoa(len(v)))
		}
		if len(v) == 1 {
			header = v[0]
		}
	}
	if header == "" {
		if a.public {
			return ctx, nil
		}
		return nil, unauthenticated("MISSING_TOKEN", "sign in first: this method needs an access token")
	}
	raw, err := auth.ParseBearer(header)
	if err != nil {
		return nil, unauthenticated("TOKEN_INVALID", "the Authorization header is not a valid bearer token")
	}
	claims, err := tokens.Verify(raw)
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrTokenExpired):
		return nil, unauthenticated("TOKEN_EXPIRED", "the access token has expired; refresh it")
	default:
		return nil, unauthenticated("TOKEN_INVALID", "the access token is not valid")
	}
	ctx = auth.WithClaims(ctx, claims)
	if a.public {
		return ctx, nil
	}
	ctx, claims, err = withCurrentAccount(ctx, accts, claims)
	if err != nil {
		return nil, err
	}
	if len(a.roles) > 0 && !slices.Contains(a.roles, domain.Role(claims.Role)) {
		return nil, withReason(codes.PermissionDenied, "ROLE_NOT_PERMITTED", "your account's role may not do this").Err()
	}
	return ctx, nil
}

type accountCtxKey struct{}

// withCurrentAccount loads the account behind claims, refuses it if it is
// deactivated or gone, and returns ctx carrying it and claims with its
// current role.
func withCurrentAccount(ctx context.Context, accts accounts, claims auth.Claims) (context.Context, auth.Claims, error) {
	u, err := accts.GetUser(ctx, claims.UserID)
	if errors.Is(err, domain.ErrNotFound) || err == nil && !u.Active {
		return nil, auth.Claims{}, accountInactive()
	}
	if err != nil {
		return nil, auth.Claims{}, err
	}
	claims.Role = string(u.Role)
	ctx = context.WithValue(auth.WithClaims(ctx, claims), accountCtxKey{}, u)
	return ctx, claims, nil
}

// currentCaller returns the signed-in caller's claims and account as they
// are now. Methods that are not public have them from authorize; a public
// method whose answer depends on who calls (a draft, a private profile)
// asks when that matters.
func currentCaller(ctx context.Context, accts accounts) (auth.Claims, domain.User, error) {
	c, err := caller(ctx)
	if err != nil {
		return auth.Claims{}, domain.User{}, err
	}
	if u, ok := ctx.Value(accountCtxKey{}).(domain.User); ok {
		return c, u, nil
	}
	ctx, c, err = withCurrentAccount(ctx, accts, c)
	if err != nil {
		return auth.Claims{}, domain.User{}, err
	}
	return c, ctx.Value(accountCtxKey{}).(domain.User), nil
}

func accountInactive() error {
	return domain.Errorf(domain.ErrUnauthenticated, "ACCOUNT_INACTIVE", "this account no longer exists or is deactivated")
}

func unauthenticated(reason, message string) error {
	return withReason(codes.Unauthenticated, reason, message).Err()
}

func authUnary(tokens *auth.Tokens, accts accounts) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := authorize(ctx, tokens, accts, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func authStream(tokens *auth.Tokens, accts accounts) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := authorize(ss.Context(), tokens, accts, info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
}

// caller returns the signed-in caller's claims; the policy guarantees them
// for methods that are not public.
func caller(ctx context.Context) (auth.Claims, error) {
	c, ok := auth.ClaimsFrom(ctx)
	if !ok {
		return auth.Claims{}, unauthenticated("MISSING_TOKEN", "sign in first: this method needs an access token")
	}
	return c, nil
}
