package gateway

import (
	"net/http"

	"github.com/hiremebahamas/api/server/ratelimit"
	"github.com/hiremebahamas/api/server/rpc"
)

// withRateLimit answers 429 with Retry-After to a client over its bucket:
// the bucket the methods table names for the RPC the request's route
// reaches, the general one when it reaches none; probes are never limited.
// It records the client's address for the services behind the gateway.
func withRateLimit(next http.Handler, lim *ratelimit.Limits, methods rpc.Methods, routes *routes) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := lim.Clients.Resolve(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
		if call := requestFrom(r.Context()); call != nil {
			call.Client = client
		}
		row, _ := methods.Lookup(routes.rpcFor(r))
		if !row.Probe {
			if ok, wait := lim.For(row.Bucket).Allow(client); !ok {
				st, _ := rpc.ToStatus(ratelimit.Refusal(wait))
				writeStatus(w, r, st.Err())
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
