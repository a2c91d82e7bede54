package servertest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/metadata"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// Session is the JSON form of hmbv1.AuthSession.
type Session struct {
	AccessToken  string         `json:"access_token"`
	TokenType    string         `json:"token_type"`
	ExpiresIn    int            `json:"expires_in"`
	RefreshToken string         `json:"refresh_token"`
	User         map[string]any `json:"user"`
}

var emailSeq atomic.Int64

// NewEmail returns an address no other test uses.
func NewEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, emailSeq.Add(1))
}

// Password is every test account's password.
const Password = "correct horse battery staple"

// Register signs up over gRPC and returns the session.
func (s *Service) Register(t testing.TB, role hmbv1.Role) *hmbv1.AuthSession {
	t.Helper()
	resp, err := hmbv1.NewAuthServiceClient(s.Conn).Register(context.Background(), &hmbv1.RegisterRequest{
		Email: NewEmail("user"), Password: Password, FirstName: "Test", LastName: "User", Role: role,
	})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return resp
}

// WithToken adds a bearer token to a gRPC call's context.
func WithToken(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}
