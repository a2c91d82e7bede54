package gateway

import (
	"net/http/httptest"
	"testing"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// A request's route names the RPC it reaches before the gateway routes it,
// so that the methods table's bucket and probe rules apply at the edge.
func TestRoutesNameTheRPC(t *testing.T) {
	r, err := newRoutes([]Service{
		{Name: hmbv1.HealthService_ServiceDesc.ServiceName}, {Name: hmbv1.AuthService_ServiceDesc.ServiceName},
		{Name: hmbv1.JobService_ServiceDesc.ServiceName},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, want, allow string }{
		{"GET", "/api/v1/jobs", hmbv1.JobService_ListJobs_FullMethodName, "GET, HEAD, POST"},
		{"POST", "/api/v1/jobs", hmbv1.JobService_CreateJob_FullMethodName, "GET, HEAD, POST"},
		{"GET", "/api/v1/jobs/0b7a3c2e-1f4d-4a5b-8c6d-7e8f9a0b1c2d", hmbv1.JobService_GetJob_FullMethodName, "GET, HEAD, PATCH, DELETE"},
		{"POST", "/api/v1/auth/login", hmbv1.AuthService_Login_FullMethodName, "POST"},
		{"GET", "/ready", hmbv1.HealthService_CheckServing_FullMethodName, "GET, HEAD"},
		{"GET", "/ready/db", hmbv1.HealthService_CheckDatabase_FullMethodName, "GET, HEAD"},
		// A method the path does not take still names the path's service.
		{"POST", "/live", hmbv1.HealthService_CheckLiveness_FullMethodName, "GET, HEAD"},
		{"GET", "/api/v1/nowhere", "", ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if got := r.rpcFor(req); got != tc.want {
			t.Errorf("%s %s reaches %q; want %q", tc.method, tc.path, got, tc.want)
		}
		if got := r.allowed(req); got != tc.allow {
			t.Errorf("%s %s allows %q; want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}
