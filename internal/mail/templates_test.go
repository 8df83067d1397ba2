package mail

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTemplateDefaults(t *testing.T) {
	t.Parallel()
	tmpl, err := LoadTemplates("")
	require.NoError(t, err)
	require.Equal(t, []string{TemplateVerification, TemplateWelcome}, tmpl.Names())

	subject, text, html, err := tmpl.Render(TemplateWelcome, WelcomeData{FirstName: "Jane",
		TenantName: "Acme", TenantKey: "acme", AppURL: "https://acme.app.example/?a=1&b=2"})
	require.NoError(t, err)
	require.Equal(t, "Welcome to tenantd, Acme is ready", subject)
	require.Contains(t, text, "Hello Jane,")
	require.Contains(t, text, `key "acme"`)
	require.Contains(t, text, "https://acme.app.example/?a=1&b=2")
	require.Contains(t, html, `href="https://acme.app.example/?a=1&amp;b=2"`)

	_, text, _, err = tmpl.Render(TemplateVerification, VerificationData{FirstName: "Jane",
		CompanyName: "Acme", Link: testLink, ExpiresIn: HumanDuration(30 * time.Minute)})
	require.NoError(t, err)
	require.Contains(t, text, "expires in 30 minutes")
}

func TestTemplateHTMLEscapesInput(t *testing.T) {
	t.Parallel()
	tmpl, err := LoadTemplates("")
	require.NoError(t, err)
	_, text, html, err := tmpl.Render(TemplateVerification, VerificationData{
		FirstName: "<script>alert(1)</script>", CompanyName: `A & "B"`, Link: testLink,
		ExpiresIn: "30 minutes"})
	require.NoError(t, err)
	require.NotContains(t, html, "<script>")
	require.Contains(t, html, "Hello &lt;script&gt;alert(1)&lt;/script&gt;,")
	require.Contains(t, html, "A &amp; &#34;B&#34;")
	require.Contains(t, text, "Hello <script>alert(1)</script>,", "text is not HTML")

	_, _, html, err = tmpl.Render(TemplateVerification, VerificationData{FirstName: "J",
		CompanyName: "A", Link: "javascript:alert(1)", ExpiresIn: "30 minutes"})
	require.NoError(t, err)
	require.NotContains(t, html, `href="javascript:`)
}

func TestTemplateOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	write("verification.subject.txt", "Bitte bestätigen Sie {{.CompanyName}}\n")
	write("unknown.html", "{{ this would not parse")
	write("notes.md", "ignored")

	tmpl, err := LoadTemplates(dir)
	require.NoError(t, err)
	subject, text, _, err := tmpl.Render(TemplateVerification, VerificationData{FirstName: "Jane",
		CompanyName: "Acme", Link: testLink, ExpiresIn: "30 minutes"})
	require.NoError(t, err)
	require.Equal(t, "Bitte bestätigen Sie Acme", subject)
	require.Contains(t, text, "Hello Jane,", "files not overridden keep their default")
	require.Equal(t, []string{TemplateVerification, TemplateWelcome}, tmpl.Names())
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	_, err := LoadTemplates(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "welcome.html"),
		[]byte("<p>{{.FirstName</p>"), 0o600))
	_, err = LoadTemplates(dir)
	require.ErrorContains(t, err, `"welcome"`)
	require.ErrorContains(t, err, "welcome.html")

	dir = t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "welcome.subject.txt"),
		[]byte("Hi\n{{.FirstName}}\n"), 0o600))
	tmpl, err := LoadTemplates(dir)
	require.NoError(t, err)
	_, _, _, err = tmpl.Render(TemplateWelcome, WelcomeData{FirstName: "Jane"})
	require.ErrorContains(t, err, "one non-empty line")

	tmpl, err = LoadTemplates("")
	require.NoError(t, err)
	_, _, _, err = tmpl.Render("password-reset", nil)
	require.ErrorContains(t, err, `"password-reset": no such template`)
	_, _, _, err = tmpl.Render(TemplateVerification, WelcomeData{})
	require.Error(t, err, "data without the template's fields")
	_, _, _, err = tmpl.Render(TemplateVerification, map[string]string{"FirstName": "J"})
	require.Error(t, err, "missing map keys are errors, not <no value>")
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * time.Minute, "30 minutes"},
		{time.Minute, "1 minute"},
		{90 * time.Second, "2 minutes"},
		{10 * time.Second, "1 minute"},
		{0, "1 minute"},
		{time.Hour, "1 hour"},
		{2 * time.Hour, "2 hours"},
		{90 * time.Minute, "90 minutes"},
		{24 * time.Hour, "1 day"},
		{72 * time.Hour, "3 days"},
		{36 * time.Hour, "36 hours"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, HumanDuration(tt.in), tt.in.String())
	}
}
