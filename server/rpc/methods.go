package rpc

import (
	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/server/ratelimit"
)

// Method is what the service knows of one RPC, apart from its code: who may
// call it, whether its answer may be kept by browsers and CDNs, which rate
// bucket it draws from, and whether load balancers poll it. The composition
// root holds one row per RPC (server/methods.go); the interceptors and the
// HTTP edge read it, and nothing else says these things.
type Method struct {
	Access Access
	// PublicRead marks an answer that, to a caller without credentials,
	// is the same for everyone, so that it may be cached publicly.
	PublicRead bool
	Bucket     ratelimit.Bucket
	// Probe marks what load balancers poll every few seconds: never rate
	// limited, answered whatever the schema, logged at debug when it
	// succeeds.
	Probe bool
	// AnySchema marks a method that answers whether or not the database
	// schema is the one this build needs (probes and reflection).
	AnySchema bool
	// OneClick marks a one-click link in mail (RFC 8058): mail clients
	// POST to it with a form body, from their servers or from a webmail
	// page, so the HTTP edge lets such a POST through from any origin and
	// ignores its body. Only for a method whose authority is a signed token
	// in the URL, never a cookie, and whose effect is harmless to repeat.
	OneClick bool
}

// Access says who may call an RPC. Methods that are not public see the
// caller's account as it is now, not as the access token last described it
// (see CurrentCaller).
type Access struct {
	Public bool          // callable without a token; a token, if sent, must be valid
	Roles  []domain.Role // with a token: the roles allowed; none means any
}

// The access rules in use.
var (
	Anyone        = Access{Public: true}
	SignedIn      = Access{}
	Employers     = Access{Roles: []domain.Role{domain.RoleEmployer, domain.RoleAdmin}}
	Administrator = Access{Roles: []domain.Role{domain.RoleAdmin}}
	Seekers       = Access{Roles: []domain.Role{domain.RoleJobSeeker}}
)

// Methods is the table of every RPC the service answers, by full method
// name (/package.Service/Method). A method missing from it is refused.
type Methods map[string]Method

// Lookup returns the row of a method.
func (m Methods) Lookup(fullMethod string) (Method, bool) {
	row, ok := m[fullMethod]
	return row, ok
}
