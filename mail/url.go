package mail

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Security is how a connection to the SMTP server is protected.
type Security int

const (
	// Opportunistic upgrades with STARTTLS when the server offers it and
	// talks plain text otherwise (smtp://).
	Opportunistic Security = iota
	// StartTLS requires STARTTLS and fails against a server without it
	// (starttls://, or smtp://…?tls=required).
	StartTLS
	// ImplicitTLS speaks TLS from the first byte (smtps://).
	ImplicitTLS
)

// Default ports: submission (RFC 6409) for STARTTLS, submissions (RFC 8314)
// for implicit TLS.
const (
	submissionPort  = 587
	submissionsPort = 465
)

// Server is where an SMTP_URL leads.
type Server struct {
	Host     string
	Port     int
	Security Security
	Username string // empty: no authentication
	Password string
}

// Encrypted reports whether the connection is always encrypted, never
// plain text.
func (s Server) Encrypted() bool { return s.Security != Opportunistic }

// ParseURL reads an SMTP_URL: smtp://user:pass@host:port (STARTTLS when
// offered), smtp://…?tls=required or starttls://… (STARTTLS required),
// smtps://host:465 (implicit TLS). Its errors never repeat the URL, which
// usually carries a password.
func ParseURL(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Server{}, errors.New("not a URL such as smtps://user:password@smtp.example.com")
	}
	var s Server
	port := submissionPort
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.Security = Opportunistic
	case "starttls":
		s.Security = StartTLS
	case "smtps":
		s.Security, port = ImplicitTLS, submissionsPort
	default:
		return Server{}, errors.New("the scheme is not smtp, starttls or smtps")
	}
	if s.Host = u.Hostname(); s.Host == "" {
		return Server{}, errors.New("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Server{}, errors.New("the port is not a number from 1 to 65535")
		}
		port = n
	}
	s.Port = port
	if u.Path != "" && u.Path != "/" {
		return Server{}, errors.New("a path, which SMTP has no use for")
	}
	for k, v := range u.Query() {
		if k != "tls" || s.Security != Opportunistic || len(v) != 1 || v[0] != "required" {
			return Server{}, fmt.Errorf("the parameter %q: only smtp:// takes one, tls=required", k)
		}
		s.Security = StartTLS
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}
