package server_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/metadata"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// session is the JSON form of hmbv1.AuthSession.
type session struct {
	AccessToken  string         `json:"access_token"`
	TokenType    string         `json:"token_type"`
	ExpiresIn    int            `json:"expires_in"`
	RefreshToken string         `json:"refresh_token"`
	User         map[string]any `json:"user"`
}

var emailSeq atomic.Int64

// newEmail returns an address no other test uses.
func newEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, emailSeq.Add(1))
}

const testPassword = "correct horse battery staple"

// register signs up over gRPC and returns the session.
func (s *service) register(t testing.TB, role hmbv1.Role) *hmbv1.AuthSession {
	t.Helper()
	resp, err := hmbv1.NewAuthServiceClient(s.conn).Register(context.Background(), &hmbv1.RegisterRequest{
		Email: newEmail("user"), Password: testPassword, FirstName: "Test", LastName: "User", Role: role,
	})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return resp
}

// withToken adds a bearer token to a gRPC call's context.
func withToken(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}
