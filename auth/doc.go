// Package auth holds the service's credential primitives: argon2id password
// hashes, short-lived HS256 access tokens, opaque refresh tokens, and the
// typed context helpers that carry the verified identity to handlers.
//
// It knows nothing about storage or transports, so every rule here can be
// tested without a database or a server.
package auth
