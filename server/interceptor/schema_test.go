package interceptor

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/server/rpc"
)

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
		_, err := schemaUnary(schemaFlag(tc.current), schemaRows)(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: tc.method}, handler)
		if status.Code(err) != tc.want || called != (tc.want == codes.OK) {
			t.Errorf("%s with schema current=%v: %v, handler called %v", tc.method, tc.current, err, called)
		}
		if err != nil && !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("error %v; want the schema check's", err)
		}
	}
}

// schemaRows mark, as the methods table does, what answers whatever the
// schema.
var schemaRows = rpc.Methods{
	"/hiremebahamas.v1.JobService/ListJobs":                     {Access: rpc.Anyone, PublicRead: true},
	"/hiremebahamas.v1.HealthService/CheckDatabase":             {Access: rpc.Anyone, Probe: true, AnySchema: true},
	"/grpc.health.v1.Health/Check":                              {Access: rpc.Anyone, Probe: true, AnySchema: true},
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": {Access: rpc.Anyone, AnySchema: true},
}
