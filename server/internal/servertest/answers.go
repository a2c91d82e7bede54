package servertest

import (
	"net/http"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// Reason returns the ErrorInfo reason of a gRPC error.
func Reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.Reason
		}
	}
	return ""
}

// RefreshCookie returns the refresh cookie h sets.
func RefreshCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "hmb_refresh" {
			return c
		}
	}
	t.Fatalf("no hmb_refresh cookie in %v", h.Values("Set-Cookie"))
	return nil
}
