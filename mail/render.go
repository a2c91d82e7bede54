package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
)

// templates holds, for each mail NAME, NAME.subject.tmpl, NAME.reason.tmpl
// (the footer's why-you-got-this), NAME.txt.tmpl and NAME.html.tmpl, and
// the layouts that frame every mail's body.
//
//go:embed templates
var templates embed.FS

// mailTemplates are one mail's parsed templates. Each sees Message.Data as
// dot and the product's name as {{product}}.
type mailTemplates struct {
	subject, reason, text *texttemplate.Template
	html                  *htmltemplate.Template
}

// renderer turns a Message into its subject and two bodies.
type renderer struct {
	product    string
	mails      map[string]mailTemplates
	textLayout *texttemplate.Template
	htmlLayout *htmltemplate.Template
}

// layout is what the layouts see: the rendered body and the footer.
type layout struct {
	Product, Subject, Reason, UnsubscribeURL string
	Body                                     any // string in text, htmltemplate.HTML in HTML
}

func newRenderer(product string) (*renderer, error) {
	funcs := map[string]any{"product": func() string { return product }}
	r := &renderer{product: product, mails: map[string]mailTemplates{}}
	// A field the data lacks is an error, not "<no value>" in someone's inbox.
	text := func(file string) (*texttemplate.Template, error) {
		return texttemplate.New(file).Funcs(funcs).Option("missingkey=error").ParseFS(templates, "templates/"+file)
	}
	html := func(file string) (*htmltemplate.Template, error) {
		return htmltemplate.New(file).Funcs(funcs).Option("missingkey=error").ParseFS(templates, "templates/"+file)
	}
	var err error
	if r.textLayout, err = text("layout.txt.tmpl"); err != nil {
		return nil, err
	}
	if r.htmlLayout, err = html("layout.html.tmpl"); err != nil {
		return nil, err
	}
	subjects, err := fs.Glob(templates, "templates/*.subject.tmpl")
	if err != nil {
		return nil, err
	}
	for _, s := range subjects {
		name := strings.TrimSuffix(strings.TrimPrefix(s, "templates/"), ".subject.tmpl")
		var m mailTemplates
		if m.subject, err = text(name + ".subject.tmpl"); err != nil {
			return nil, err
		}
		if m.reason, err = text(name + ".reason.tmpl"); err != nil {
			return nil, err
		}
		if m.text, err = text(name + ".txt.tmpl"); err != nil {
			return nil, err
		}
		if m.html, err = html(name + ".html.tmpl"); err != nil {
			return nil, err
		}
		r.mails[name] = m
	}
	return r, nil
}

// render returns m's subject, text and HTML.
func (r *renderer) render(m Message) (subject, text, html string, err error) {
	t, ok := r.mails[m.Template]
	if !ok {
		return "", "", "", fmt.Errorf("mail: no template %q", m.Template)
	}
	data := m.Data
	if data == nil {
		data = map[string]string{}
	}
	var subj, reason, body, htmlBody, out bytes.Buffer
	for _, step := range []struct {
		run  func() error
		part string
	}{
		{func() error { return t.subject.Execute(&subj, data) }, "subject"},
		{func() error { return t.reason.Execute(&reason, data) }, "reason"},
		{func() error { return t.text.Execute(&body, data) }, "text"},
		{func() error { return t.html.Execute(&htmlBody, data) }, "HTML"},
	} {
		if err := step.run(); err != nil {
			return "", "", "", fmt.Errorf("mail: %s: the %s: %w", m.Template, step.part, err)
		}
	}
	// A subject is one line whatever the data holds: no line break can
	// reach the header, and the templates' own newlines go.
	subject = strings.Join(strings.Fields(subj.String()), " ")
	l := layout{
		Product:        r.product,
		Subject:        subject,
		Reason:         strings.TrimSpace(reason.String()),
		UnsubscribeURL: m.UnsubscribeURL,
		Body:           strings.TrimSpace(body.String()),
	}
	if err := r.textLayout.Execute(&out, l); err != nil {
		return "", "", "", fmt.Errorf("mail: %s: the text layout: %w", m.Template, err)
	}
	text = out.String()
	out.Reset()
	// The body was rendered by html/template, which escaped the data.
	l.Body = htmltemplate.HTML(htmlBody.String())
	if err := r.htmlLayout.Execute(&out, l); err != nil {
		return "", "", "", fmt.Errorf("mail: %s: the HTML layout: %w", m.Template, err)
	}
	return subject, text, out.String(), nil
}
