package server

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

func TestToStatus(t *testing.T) {
	for _, tc := range []struct {
		name         string
		err          error
		wantCode     codes.Code
		wantReason   string
		wantMessage  string
		wantInternal bool
	}{
		{"invalid", domain.Errorf(domain.ErrInvalid, "EMAIL_INVALID", "email is not an address"), codes.InvalidArgument, "EMAIL_INVALID", "email is not an address", false},
		{"not found", domain.Errorf(domain.ErrNotFound, "JOB_NOT_FOUND", "no such job"), codes.NotFound, "JOB_NOT_FOUND", "no such job", false},
		{"already exists", domain.Errorf(domain.ErrAlreadyExists, "EMAIL_TAKEN", "taken"), codes.AlreadyExists, "EMAIL_TAKEN", "taken", false},
		{"failed precondition", domain.Errorf(domain.ErrFailedPrecondition, "JOB_CLOSED", "closed"), codes.FailedPrecondition, "JOB_CLOSED", "closed", false},
		{"aborted", domain.Errorf(domain.ErrAborted, "ETAG_MISMATCH", "changed"), codes.Aborted, "ETAG_MISMATCH", "changed", false},
		{"unauthenticated", domain.Errorf(domain.ErrUnauthenticated, "TOKEN_EXPIRED", "expired"), codes.Unauthenticated, "TOKEN_EXPIRED", "expired", false},
		{"permission denied", domain.Errorf(domain.ErrPermissionDenied, "NOT_OWNER", "not yours"), codes.PermissionDenied, "NOT_OWNER", "not yours", false},
		{"resource exhausted", domain.Errorf(domain.ErrResourceExhausted, "TOO_MANY_ATTEMPTS", "wait"), codes.ResourceExhausted, "TOO_MANY_ATTEMPTS", "wait", false},
		{"unavailable, wrapped", fmt.Errorf("ctx: %w", domain.Wrap(errors.New("dial tcp: refused"), domain.ErrUnavailable, "DATABASE_UNAVAILABLE", "the database is unavailable")),
			codes.Unavailable, "DATABASE_UNAVAILABLE", "the database is unavailable", false},
		{"deadline", domain.Errorf(domain.ErrDeadlineExceeded, "DATABASE_TIMEOUT", "slow"), codes.DeadlineExceeded, "DATABASE_TIMEOUT", "slow", false},
		{"status passes through", status.Error(codes.OutOfRange, "past the end"), codes.OutOfRange, "OUT_OF_RANGE", "past the end", false},
		{"context cancelled", context.Canceled, codes.Canceled, "CANCELLED", "the request was cancelled", false},
		{"context deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "DEADLINE_EXCEEDED", "the request took too long", false},
		{"unknown error hides its text", errors.New(`ERROR: relation "users" does not exist (SQLSTATE 42P01)`), codes.Internal, "INTERNAL", "internal error", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, internal := toStatus(tc.err)
			if st.Code() != tc.wantCode || reasonOf(st) != tc.wantReason || st.Message() != tc.wantMessage || internal != tc.wantInternal {
				t.Errorf("toStatus = %v %s %q internal=%v; want %v %s %q internal=%v",
					st.Code(), reasonOf(st), st.Message(), internal, tc.wantCode, tc.wantReason, tc.wantMessage, tc.wantInternal)
			}
		})
	}
}

type schemaFlag bool

func (f schemaFlag) EnsureSchema(context.Context) error {
	if f {
		return nil
	}
	return domain.Errorf(domain.ErrUnavailable, "SCHEMA_OUTDATED", "behind")
}

func TestSchemaGate(t *testing.T) {
	called := false
	handler := func(context.Context, any) (any, error) { called = true; return "ok", nil }
	for _, tc := range []struct {
		method  string
		current bool
		want    codes.Code
	}{
		{"/hiremebahamas.v1.JobService/ListJobs", false, codes.Unknown},
		{"/hiremebahamas.v1.JobService/ListJobs", true, codes.OK},
		{"/hiremebahamas.v1.HealthService/CheckDatabase", false, codes.OK},
		{"/grpc.health.v1.Health/Check", false, codes.OK},
		{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", false, codes.OK},
	} {
		called = false
		_, err := schemaUnary(schemaFlag(tc.current))(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: tc.method}, handler)
		if status.Code(err) != tc.want || called != (tc.want == codes.OK) {
			t.Errorf("%s with schema current=%v: %v, handler called %v", tc.method, tc.current, err, called)
		}
		if err != nil && !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("error %v; want the schema check's", err)
		}
	}
}

func TestSanitizeRequestID(t *testing.T) {
	for in, want := range map[string]string{
		"abc-123":                       "abc-123",
		"a.b_c:d":                       "a.b_c:d",
		"":                              "",
		"with space":                    "",
		"quote\"":                       "",
		"ünicode":                       "",
		string(make([]byte, 129)):       "",
		"0123456789abcdef0123456789abc": "0123456789abcdef0123456789abc",
	} {
		if got := sanitizeRequestID(in); got != want {
			t.Errorf("sanitizeRequestID(%q) = %q; want %q", in, got, want)
		}
	}
}

// Every RPC of every service has an entry in the access policy: a method
// left out would be refused to everyone.
func TestPolicyCoversEveryMethod(t *testing.T) {
	for _, file := range []protoreflect.FileDescriptor{
		hmbv1.File_hiremebahamas_v1_auth_proto, hmbv1.File_hiremebahamas_v1_users_proto, hmbv1.File_hiremebahamas_v1_health_proto,
		hmbv1.File_hiremebahamas_v1_jobs_proto,
	} {
		services := file.Services()
		for i := range services.Len() {
			methods := services.Get(i).Methods()
			for j := range methods.Len() {
				name := "/" + string(services.Get(i).FullName()) + "/" + string(methods.Get(j).Name())
				if _, ok := accessFor(name); !ok {
					t.Errorf("%s has no access policy", name)
				}
			}
		}
	}
	if _, ok := accessFor("/hiremebahamas.v1.Unknown/Method"); ok {
		t.Error("an unknown method has a policy")
	}
}
