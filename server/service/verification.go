package service

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
	"github.com/hiremebahamas/api/store"
)

// RequestEmailVerification queues a new link for the caller's own account
// and answers at once; the job skips a verified account and applies the
// hourly limit, so the answer is the same either way.
func (s *AuthServer) RequestEmailVerification(ctx context.Context, _ *hmbv1.RequestEmailVerificationRequest) (*emptypb.Empty, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.Enqueue(ctx, domain.EmailVerificationRequested{UserID: c.UserID}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *AuthServer) VerifyEmail(ctx context.Context, req *hmbv1.VerifyEmailRequest) (*emptypb.Empty, error) {
	if !auth.ValidRefreshToken(req.GetToken()) {
		return nil, store.VerifyTokenInvalid()
	}
	if err := s.store.VerifyEmail(ctx, auth.HashRefreshToken(req.GetToken())); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
