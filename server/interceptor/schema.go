package interceptor

import (
	"context"

	"google.golang.org/grpc"

	"github.com/hiremebahamas/api/server/rpc"
)

// Schema tells whether the database schema is the one this build needs.
type Schema interface {
	EnsureSchema(ctx context.Context) error
}

// schemaUnary refuses data calls unless the schema is current, so an
// instance never runs queries against tables it does not know. Methods the
// table marks AnySchema (probes, reflection) answer whatever the schema.
func schemaUnary(schema Schema, methods rpc.Methods) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if row, _ := methods.Lookup(info.FullMethod); !row.AnySchema {
			if err := schema.EnsureSchema(ctx); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

func schemaStream(schema Schema, methods rpc.Methods) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if row, _ := methods.Lookup(info.FullMethod); !row.AnySchema {
			if err := schema.EnsureSchema(ss.Context()); err != nil {
				return err
			}
		}
		return handler(srv, ss)
	}
}
