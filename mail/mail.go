// Package mail renders the service's mails from embedded templates and
// delivers them over SMTP.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one mail to one person, rendered from the templates named Template.
type Message struct {
	To       string            // one address
	Template string            // e.g. "password_reset": mail/templates/password_reset.*.tmpl
	Data     map[string]string // the template's fields
	// UnsubscribeURL, when set, is a one-click unsubscribe link: the message then carries RFC 8058
	// List-Unsubscribe: <URL> and List-Unsubscribe-Post: List-Unsubscribe=One-Click, and the footer links it.
	UnsubscribeURL string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Options configure SMTP delivery.
type Options struct {
	URL         string // SMTP_URL, see ParseURL
	From        string // MAIL_FROM, e.g. "HireMeBahamas <no-reply@hiremebahamas.com>"
	ProductName string // "HireMeBahamas", in every subject/footer
}

// SendTimeout bounds one Send when the context allows longer: a server that
// stops answering must not hold a worker.
const SendTimeout = 30 * time.Second

// SMTP delivers messages to one SMTP server, a connection per message.
type SMTP struct {
	server Server
	from   string
	render *renderer
	opts   []gomail.Option
}

var _ Sender = (*SMTP)(nil)

// NewSMTP checks o and parses the templates.
func NewSMTP(o Options) (*SMTP, error) {
	server, err := ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL: %w", err)
	}
	if err := CheckFrom(o.From); err != nil {
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	if strings.TrimSpace(o.ProductName) == "" {
		return nil, errors.New("mail: no product name")
	}
	r, err := newRenderer(o.ProductName)
	if err != nil {
		return nil, fmt.Errorf("mail: templates: %w", err)
	}
	opts := []gomail.Option{gomail.WithPort(server.Port)}
	switch server.Security {
	case Opportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	}
	if server.Username != "" {
		// The strongest mechanism the server offers; go-mail refuses to
		// send a password in plain text to a host other than this one.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(server.Username), gomail.WithPassword(server.Password))
	}
	return &SMTP{server: server, from: o.From, render: r, opts: opts}, nil
}

// CheckFrom checks a sender such as "HireMeBahamas <no-reply@hiremebahamas.com>":
// one address, which may have a display name.
func CheckFrom(from string) error {
	if strings.ContainsAny(from, "\r\n") {
		return errors.New("a line break in the address")
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return fmt.Errorf("%q is not one address such as \"HireMeBahamas <no-reply@hiremebahamas.com>\"", from)
	}
	return nil
}

// Send renders m and delivers it within the context's deadline and
// SendTimeout, whichever comes first. An error means it was not delivered,
// and the caller may try again.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.compose(m)
	if err != nil {
		return err
	}
	budget := SendTimeout
	if d, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(d))
	}
	if budget <= 0 {
		return fmt.Errorf("mail: %s: %w", m.Template, context.DeadlineExceeded)
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	// The context bounds dialing; go-mail's timeout bounds each read and
	// write once connected, which the context does not reach.
	c, err := gomail.NewClient(s.server.Host, append(s.opts, gomail.WithTimeout(budget))...)
	if err != nil {
		return fmt.Errorf("mail: %s: %w", m.Template, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		// Neither the URL nor its password goes into the error, only where.
		return fmt.Errorf("mail: %s through %s: %w", m.Template, net.JoinHostPort(s.server.Host, strconv.Itoa(s.server.Port)), err)
	}
	return nil
}

// compose renders m into a message ready to send.
func (s *SMTP) compose(m Message) (*gomail.Msg, error) {
	subject, text, html, err := s.render.render(m)
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	// go-mail parses the address: a line break or a second address in it
	// is refused rather than written into the headers.
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, fmt.Errorf("mail: %s: a line break in the recipient", m.Template)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: %s: the recipient: %w", m.Template, err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	if m.UnsubscribeURL != "" {
		u, err := checkUnsubscribeURL(m.UnsubscribeURL)
		if err != nil {
			return nil, fmt.Errorf("mail: %s: the unsubscribe URL: %w", m.Template, err)
		}
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+u+">")
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	return msg, nil
}

// checkUnsubscribeURL returns raw if it may go into List-Unsubscribe as it
// is: an absolute https URL (RFC 8058; http only to this machine, for
// development) of printable ASCII without spaces or angle brackets.
func checkUnsubscribeURL(raw string) (string, error) {
	for _, r := range raw {
		if r <= ' ' || r > '~' || r == '<' || r == '>' {
			return "", errors.New("not printable ASCII without spaces or angle brackets")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", errors.New("not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return "", errors.New("not https")
	}
	return raw, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
