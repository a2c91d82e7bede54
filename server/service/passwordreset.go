package service

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/store"
)

// RequestPasswordReset queues the request and answers at once. Whether the
// email has an account is decided by the job, after the answer: the caller
// sees the same answer, in the same time, with the same work done, either
// way.
func (s *AuthServer) RequestPasswordReset(ctx context.Context, req *hmbv1.RequestPasswordResetRequest) (*emptypb.Empty, error) {
	email, err := domain.ParseEmail(req.GetEmail())
	if err != nil {
		return nil, invalidField("email", err.Error())
	}
	if err := s.store.Enqueue(ctx, domain.PasswordResetRequested{Email: email}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *AuthServer) ResetPassword(ctx context.Context, req *hmbv1.ResetPasswordRequest) (*emptypb.Empty, error) {
	if err := auth.CheckPassword(req.GetNewPassword()); err != nil {
		return nil, invalidField("new_password", err.Error())
	}
	if !auth.ValidRefreshToken(req.GetToken()) {
		return nil, store.ResetTokenInvalid()
	}
	token := auth.HashRefreshToken(req.GetToken())
	// A dead token costs a lookup, not a password hash.
	if err := s.store.CheckPasswordReset(ctx, token); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, req.GetNewPassword())
	if err != nil {
		return nil, err
	}
	if err := s.store.ResetPassword(ctx, token, hash); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
