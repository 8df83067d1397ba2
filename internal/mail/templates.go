package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"
)

// The names of the templates that tenantd sends.
const (
	// TemplateVerification asks a lead to confirm its email address; data VerificationData.
	TemplateVerification = "verification"
	// TemplateWelcome greets a new tenant's primary contact; data WelcomeData.
	TemplateWelcome = "welcome"
)

// VerificationData is the data of the verification template.
type VerificationData struct {
	// FirstName is the lead's first name.
	FirstName string
	// CompanyName is the lead's company.
	CompanyName string
	// Link is the verification link, <verify URL>?lead=<id>&code=<code>.
	Link string
	// ExpiresIn says how long the link works, for example "30 minutes" (see HumanDuration).
	ExpiresIn string
}

// WelcomeData is the data of the welcome template.
type WelcomeData struct {
	// FirstName is the contact's first name.
	FirstName string
	// TenantName is the tenant's display name.
	TenantName string
	// TenantKey is the tenant's key.
	TenantKey string
	// AppURL is where the tenant's application is reached.
	AppURL string
}

//go:embed templates/*
var defaults embed.FS

// Template files are <name>.subject.txt, <name>.txt and <name>.html.
const (
	subjectSuffix = ".subject.txt"
	textSuffix    = ".txt"
	htmlSuffix    = ".html"
)

// Templates holds the parsed email templates. It is immutable and safe for concurrent use.
type Templates struct {
	byName map[string]*template
}

type template struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// LoadTemplates parses the embedded default templates, each file replaced by the file of the
// same name in dir when there is one (<name>.subject.txt, <name>.txt, <name>.html; so an
// operator can override just a subject). Files in dir that match no default are ignored. An
// empty dir means defaults only; a dir that does not exist or a template that does not parse
// is an error naming the file.
func LoadTemplates(dir string) (*Templates, error) {
	if dir != "" {
		info, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("load mail templates: %w", err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("load mail templates: %q is not a directory", dir)
		}
	}
	names, err := defaultNames()
	if err != nil {
		return nil, fmt.Errorf("load mail templates: %w", err)
	}
	t := &Templates{byName: make(map[string]*template, len(names))}
	for _, name := range names {
		tmpl, err := loadTemplate(dir, name)
		if err != nil {
			return nil, fmt.Errorf("load mail template %q: %w", name, err)
		}
		t.byName[name] = tmpl
	}
	return t, nil
}

// Names returns the names of the loaded templates, sorted.
func (t *Templates) Names() []string {
	names := make([]string, 0, len(t.byName))
	for name := range t.byName {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Render executes the template name with data and returns the subject (trimmed, one line),
// the text body and the HTML body. The HTML is escaped by html/template; the subject and text
// are not escaped at all. A field that data lacks, an unknown name or a subject that renders
// empty or over several lines is an error.
func (t *Templates) Render(name string, data any) (subject, text, html string, err error) {
	tmpl, ok := t.byName[name]
	if !ok {
		return "", "", "", fmt.Errorf("render mail template %q: no such template", name)
	}
	var buf bytes.Buffer
	if err := tmpl.subject.Execute(&buf, data); err != nil {
		return "", "", "", fmt.Errorf("render mail template %q subject: %w", name, err)
	}
	subject = strings.TrimSpace(buf.String())
	if subject == "" || strings.ContainsAny(subject, "\r\n") {
		return "", "", "", fmt.Errorf("render mail template %q subject: "+
			"must be one non-empty line, got %q", name, subject)
	}
	buf.Reset()
	if err := tmpl.text.Execute(&buf, data); err != nil {
		return "", "", "", fmt.Errorf("render mail template %q text: %w", name, err)
	}
	text = buf.String()
	buf.Reset()
	if err := tmpl.html.Execute(&buf, data); err != nil {
		return "", "", "", fmt.Errorf("render mail template %q html: %w", name, err)
	}
	return subject, text, buf.String(), nil
}

// defaultNames lists the embedded templates and checks that each has all three files.
func defaultNames() ([]string, error) {
	entries, err := fs.ReadDir(defaults, "templates")
	if err != nil {
		return nil, err
	}
	files := make(map[string]bool, len(entries))
	var names []string
	for _, e := range entries {
		files[e.Name()] = true
		if name, ok := strings.CutSuffix(e.Name(), htmlSuffix); ok {
			names = append(names, name)
		}
	}
	for _, name := range names {
		if !files[name+subjectSuffix] || !files[name+textSuffix] {
			return nil, fmt.Errorf("embedded template %q is incomplete", name)
		}
	}
	return names, nil
}

func loadTemplate(dir, name string) (*template, error) {
	var tmpl template
	src, err := source(dir, name+subjectSuffix)
	if err == nil {
		tmpl.subject, err = texttemplate.New(name + subjectSuffix).
			Option("missingkey=error").Parse(src)
	}
	if err != nil {
		return nil, err
	}
	if src, err = source(dir, name+textSuffix); err == nil {
		tmpl.text, err = texttemplate.New(name + textSuffix).
			Option("missingkey=error").Parse(src)
	}
	if err != nil {
		return nil, err
	}
	if src, err = source(dir, name+htmlSuffix); err == nil {
		tmpl.html, err = htmltemplate.New(name + htmlSuffix).
			Option("missingkey=error").Parse(src)
	}
	if err != nil {
		return nil, err
	}
	return &tmpl, nil
}

// source returns the override of file in dir if there is one, else the embedded default.
func source(dir, file string) (string, error) {
	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err == nil {
			return string(b), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("read override: %w", err)
		}
	}
	b, err := defaults.ReadFile("templates/" + file)
	if err != nil {
		return "", fmt.Errorf("read default: %w", err)
	}
	return string(b), nil
}

// HumanDuration writes d the way an email says it: "30 minutes", "1 hour", "2 days". It
// uses the largest unit that divides d exactly, rounding to whole minutes below an hour's
// multiples; anything under a minute is "1 minute" so a reader never sees "0 minutes".
func HumanDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= day && d%day == 0:
		return plural(int64(d/day), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	}
	return plural(max(int64(d.Round(time.Minute)/time.Minute), 1), "minute")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
