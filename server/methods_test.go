package server

import (
	"log/slog"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/hiremebahamas/api/config"
)

// Every RPC the App serves has a row in the methods table, and every row
// names an RPC it serves: a method left out would be refused to everyone,
// and a row left over would hide a rename.
func TestEveryMethodHasARow(t *testing.T) {
	srv := grpc.NewServer()
	registerAll(srv, newServices(config.Config{}, nil, nil, nil, nil, nil, slog.New(slog.DiscardHandler)), health.NewServer())
	served := map[string]bool{}
	for name, info := range srv.GetServiceInfo() {
		for _, m := range info.Methods {
			method := "/" + name + "/" + m.Name
			served[method] = true
			if _, ok := methods.Lookup(method); !ok {
				t.Errorf("%s has no row in the methods table", method)
			}
		}
	}
	if len(served) < 30 {
		t.Fatalf("only %d methods served; the services were not all registered", len(served))
	}
	for method, row := range methods {
		if !served[method] {
			t.Errorf("the methods table has a row for %s, which is not served", method)
		}
		// What load balancers poll must answer them however the database is.
		if row.Probe && (!row.Access.Public || !row.AnySchema) {
			t.Errorf("probe %s must be public and answer whatever the schema", method)
		}
	}
	if _, ok := methods.Lookup("/hiremebahamas.v1.Unknown/Method"); ok {
		t.Error("an unknown method has a row")
	}
}
