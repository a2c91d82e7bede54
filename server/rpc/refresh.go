package rpc

// Response and request metadata by which AuthService and the REST edge
// agree on the refresh cookie, without the service knowing cookies: the
// edge sends a REST caller's refresh cookie as RefreshTokenKey, and turns
// SetRefreshKey and ClearRefreshKey in the response into Set-Cookie.
const (
	RefreshTokenKey = "x-hmb-refresh-token"
	SetRefreshKey   = "x-hmb-set-refresh"
	ClearRefreshKey = "x-hmb-clear-refresh"
)
