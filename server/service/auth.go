package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
	"github.com/hiremebahamas/api/store"
)

// AuthServer implements hiremebahamas.v1.AuthService.
type AuthServer struct {
	hmbv1.UnimplementedAuthServiceServer
	store    *store.Store
	hasher   *auth.Hasher
	tokens   *auth.Tokens
	sessions store.SessionLifetimes
	limits   store.LoginLimits
	log      *slog.Logger
}

var _ hmbv1.AuthServiceServer = (*AuthServer)(nil)

// AuthOptions are what AuthService needs besides the store.
type AuthOptions struct {
	Hasher   *auth.Hasher
	Tokens   *auth.Tokens
	Sessions store.SessionLifetimes
	Limits   store.LoginLimits
	Log      *slog.Logger
}

// NewAuthServer returns the AuthService of st.
func NewAuthServer(st *store.Store, o AuthOptions) *AuthServer {
	return &AuthServer{store: st, hasher: o.Hasher, tokens: o.Tokens, sessions: o.Sessions, limits: o.Limits, log: o.Log}
}

// badCredentials is the one answer to every failed sign-in, so that it
// reveals nothing about which part was wrong.
func badCredentials() error {
	return domain.Errorf(domain.ErrUnauthenticated, "INVALID_CREDENTIALS", "the email or password is incorrect")
}

func (s *AuthServer) Register(ctx context.Context, req *hmbv1.RegisterRequest) (*hmbv1.AuthSession, error) {
	email, err := domain.ParseEmail(req.GetEmail())
	if err != nil {
		return nil, invalidField("email", err.Error())
	}
	if err := auth.CheckPassword(req.GetPassword()); err != nil {
		return nil, invalidField("password", err.Error())
	}
	first, err := parseName("first_name", req.GetFirstName())
	if err != nil {
		return nil, err
	}
	last, err := parseName("last_name", req.GetLastName())
	if err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, req.GetPassword())
	if err != nil {
		return nil, err
	}
	u, err := s.store.CreateUser(ctx, store.NewUser{
		Email: email, PasswordHash: hash, Role: roleFromProto(req.GetRole()),
		FirstName: first, LastName: last, Phone: req.GetPhone(), Location: islandFromProto(req.GetLocation()),
		MailVerification: true,
	})
	if err != nil {
		return nil, err
	}
	return s.newSession(ctx, u)
}

func (s *AuthServer) Login(ctx context.Context, req *hmbv1.LoginRequest) (*hmbv1.AuthSession, error) {
	email := domain.NormalizeEmail(req.GetEmail())
	// Unknown emails are admitted and counted alike, so that throttling
	// does not tell whether an account exists.
	if err := s.admitAttempt(ctx, email); err != nil {
		return nil, err
	}
	u, hash, err := s.store.GetCredentials(ctx, email)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		// Spend the same time as a real check, so timing does not tell
		// whether the account exists.
		if err := s.hasher.VerifyDummy(ctx, req.GetPassword()); err != nil {
			return nil, err
		}
		return nil, s.failedAttempt(ctx, badCredentials())
	case err != nil:
		return nil, err
	}
	ok, rehash, err := s.hasher.Verify(ctx, hash, req.GetPassword())
	if err != nil {
		return nil, err
	}
	if !ok || !u.Active {
		return nil, s.failedAttempt(ctx, badCredentials())
	}
	if err := s.store.ClearLoginFailures(ctx, email); err != nil {
		return nil, err
	}
	if rehash {
		s.upgradeHash(ctx, u.ID, req.GetPassword())
	}
	return s.newSession(ctx, u)
}

// upgradeHash rehashes a password stored with weaker parameters. Failure
// only delays the upgrade to the next sign-in.
func (s *AuthServer) upgradeHash(ctx context.Context, userID, password string) {
	hash, err := s.hasher.Hash(ctx, password)
	if err == nil {
		err = s.store.SetPasswordHashOnly(ctx, userID, hash)
	}
	if err != nil {
		s.log.Warn("password rehash failed", "user_id", userID, "error", err)
	}
}

// addressSlotsAhead is how many turns an attempt from a client address over
// its limit may wait for: a handful of people behind one proxy are served
// in turn, and a flood is refused rather than kept waiting.
const addressSlotsAhead = 3

// admitAttempt lets a password check for email from the caller's address
// go ahead once it is counted (see store.AdmitLogin), waiting for the
// address's slot if it has to. The wait holds no database connection, and
// is never longer than the request has left.
func (s *AuthServer) admitAttempt(ctx context.Context, email string) error {
	maxWait := addressSlotsAhead * s.limits.AddressInterval
	if deadline, ok := ctx.Deadline(); ok {
		maxWait = min(maxWait, time.Until(deadline))
	}
	wait, err := s.store.AdmitLogin(ctx, email, rpc.ClientIP(ctx), s.limits, maxWait)
	if err != nil || wait <= 0 {
		return err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failedAttempt ends an admitted attempt whose password was wrong: its
// failure is already counted, so it only prunes old ones and returns err.
func (s *AuthServer) failedAttempt(ctx context.Context, err error) error {
	if perr := s.store.PruneLoginFailures(ctx, s.limits); perr != nil {
		return perr
	}
	return err
}

func (s *AuthServer) Refresh(ctx context.Context, req *hmbv1.RefreshRequest) (*hmbv1.AuthSession, error) {
	old := refreshTokenFrom(ctx, req.GetRefreshToken())
	if old == "" {
		// Told apart from an expired session: a browser on another site
		// that withholds the cookie looks like this, and signing in again
		// would not help it.
		return nil, domain.Errorf(domain.ErrUnauthenticated, "REFRESH_TOKEN_MISSING",
			"no refresh token was sent, in refresh_token or as the refresh cookie; a browser may be blocking the cookie on calls from another site")
	}
	if !auth.ValidRefreshToken(old) {
		return nil, domain.Errorf(domain.ErrUnauthenticated, "REFRESH_TOKEN_INVALID", "the refresh token is invalid or expired")
	}
	token, hash, err := auth.NewRefreshToken()
	if err != nil {
		return nil, err
	}
	userID, err := s.store.RotateSession(ctx, auth.HashRefreshToken(old), hash, s.sessions)
	if err != nil {
		if errors.Is(err, domain.ErrUnauthenticated) {
			clearRefreshCookie(ctx)
		}
		return nil, err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil || !u.Active {
		clearRefreshCookie(ctx)
		return nil, rpc.AccountInactive()
	}
	return s.session(ctx, u, token)
}

func (s *AuthServer) Logout(ctx context.Context, req *hmbv1.LogoutRequest) (*emptypb.Empty, error) {
	if token := refreshTokenFrom(ctx, req.GetRefreshToken()); auth.ValidRefreshToken(token) {
		if err := s.store.EndSession(ctx, auth.HashRefreshToken(token)); err != nil {
			return nil, err
		}
	}
	clearRefreshCookie(ctx)
	return &emptypb.Empty{}, nil
}

func (s *AuthServer) LogoutAll(ctx context.Context, _ *hmbv1.LogoutAllRequest) (*emptypb.Empty, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.EndAllSessions(ctx, c.UserID); err != nil {
		return nil, err
	}
	clearRefreshCookie(ctx)
	return &emptypb.Empty{}, nil
}

func (s *AuthServer) ChangePassword(ctx context.Context, req *hmbv1.ChangePasswordRequest) (*hmbv1.AuthSession, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := auth.CheckPassword(req.GetNewPassword()); err != nil {
		return nil, invalidField("new_password", err.Error())
	}
	u, current, err := s.store.GetCredentialsByID(ctx, c.UserID)
	if err != nil || !u.Active {
		return nil, rpc.AccountInactive()
	}
	// Checking the current password is a sign-in by another name: counted
	// and locked out alike, or a stolen access token would buy unlimited
	// guesses.
	if err := s.admitAttempt(ctx, u.Email); err != nil {
		return nil, err
	}
	ok, _, err := s.hasher.Verify(ctx, current, req.GetCurrentPassword())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, s.failedAttempt(ctx, domain.Errorf(domain.ErrInvalid, "INVALID_CURRENT_PASSWORD", "current_password: the current password is incorrect"))
	}
	if err := s.store.ClearLoginFailures(ctx, u.Email); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, req.GetNewPassword())
	if err != nil {
		return nil, err
	}
	// Ends every session, this one included; the caller gets a fresh one.
	if err := s.store.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return nil, err
	}
	return s.newSession(ctx, u)
}

// newSession starts a session family for u.
func (s *AuthServer) newSession(ctx context.Context, u domain.User) (*hmbv1.AuthSession, error) {
	token, hash, err := auth.NewRefreshToken()
	if err != nil {
		return nil, err
	}
	if err := s.store.StartSession(ctx, u.ID, hash); err != nil {
		return nil, err
	}
	return s.session(ctx, u, token)
}

// session issues an access token for u alongside the refresh token.
func (s *AuthServer) session(ctx context.Context, u domain.User, refresh string) (*hmbv1.AuthSession, error) {
	access, _, err := s.tokens.Issue(u.ID, string(u.Role))
	if err != nil {
		return nil, err
	}
	setRefreshCookie(ctx, refresh)
	return &hmbv1.AuthSession{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int32(s.tokens.TTL().Seconds()),
		RefreshToken: refresh,
		User:         userToProto(u, privateView),
	}, nil
}

// The refresh cookie: only REST callers (browsers) get it. The gateway
// turns these response metadata keys into Set-Cookie headers, and sends the
// cookie it receives as rpc.RefreshTokenKey.

func setRefreshCookie(ctx context.Context, token string) {
	if rpc.FromGateway(ctx) {
		_ = grpc.SetHeader(ctx, metadata.Pairs(rpc.SetRefreshKey, token))
	}
}

func clearRefreshCookie(ctx context.Context) {
	if rpc.FromGateway(ctx) {
		_ = grpc.SetHeader(ctx, metadata.Pairs(rpc.ClearRefreshKey, "1"))
	}
}

// refreshTokenFrom returns the token in the body or, for REST callers, the
// refresh cookie.
func refreshTokenFrom(ctx context.Context, body string) string {
	if body != "" || !rpc.FromGateway(ctx) {
		return body
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(rpc.RefreshTokenKey); len(v) > 0 {
		return v[0]
	}
	return ""
}
