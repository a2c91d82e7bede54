package auth

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClaimsContext(t *testing.T) {
	t.Parallel()
	if c, ok := ClaimsFrom(context.Background()); ok || c != (Claims{}) {
		t.Errorf("ClaimsFrom(empty context) = %+v, %v; want zero, false", c, ok)
	}
	want := Claims{UserID: "user-1", Role: "admin", ID: "jti", IssuedAt: testNow, ExpiresAt: testNow.Add(time.Minute)}
	ctx := WithClaims(context.Background(), want)
	got, ok := ClaimsFrom(ctx)
	if !ok {
		t.Fatal("ClaimsFrom after WithClaims: not found")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	// A value under another key of the same underlying type is not an identity.
	type otherKey struct{}
	if _, ok := ClaimsFrom(context.WithValue(context.Background(), otherKey{}, want)); ok {
		t.Error("ClaimsFrom found claims stored under a foreign key")
	}
}
