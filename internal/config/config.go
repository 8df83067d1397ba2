// Package config loads and validates tenantd's configuration from environment variables, once, in
// cmd/tenantd. Every field names its variable and default; the README's table lists the same.
package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/tenantd/tenantd/internal/eventbus"
	"github.com/tenantd/tenantd/internal/mail"
	"github.com/tenantd/tenantd/internal/obs"
)

// Config is the whole configuration of `tenantd serve`.
type Config struct {
	// Env is "development" or "production" (TENANTD_ENV, default development). Development turns
	// on GraphiQL, introspection, text logs and a generated signing secret.
	Env string `env:"TENANTD_ENV" envDefault:"development"`
	// HTTPAddr is the listen address (HTTP_ADDR, default 127.0.0.1:8080).
	HTTPAddr string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// PublicURL is the externally visible base URL (PUBLIC_URL, default http://<HTTP_ADDR>).
	PublicURL string `env:"PUBLIC_URL"`
	// DatabaseURL is the PostgreSQL URL (DATABASE_URL). Empty starts a private PostgreSQL under
	// DataDir.
	DatabaseURL string `env:"DATABASE_URL"`
	// DataDir keeps the private database, generated secrets and development emails
	// (TENANTD_DATA_DIR, default .tenantd).
	DataDir string `env:"TENANTD_DATA_DIR" envDefault:".tenantd"`
	// DBMaxConns is the pool size (DB_MAX_CONNS, default 20).
	DBMaxConns int32 `env:"DB_MAX_CONNS" envDefault:"20"`
	// AutoMigrate applies migrations when serve starts (AUTO_MIGRATE, default true).
	AutoMigrate bool `env:"AUTO_MIGRATE" envDefault:"true"`

	// LogFormat is "json" or "text" (LOG_FORMAT, default text in development, json otherwise).
	LogFormat string `env:"LOG_FORMAT"`
	// LogLevel is debug, info, warn or error (LOG_LEVEL, default info).
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`

	// HS256Secret signs operator tokens (AUTH_HS256_SECRET; in development generated and kept in
	// DataDir when neither it nor AUTH_JWKS_URL is set).
	HS256Secret string `env:"AUTH_HS256_SECRET"`
	// JWKSURL is where RS256/ES256 operator keys come from (AUTH_JWKS_URL).
	JWKSURL string `env:"AUTH_JWKS_URL"`
	// Issuer is the required iss of operator tokens (AUTH_ISSUER, default none checked).
	Issuer string `env:"AUTH_ISSUER"`
	// Audience is the required aud of operator tokens (AUTH_AUDIENCE, default none checked).
	Audience string `env:"AUTH_AUDIENCE"`
	// LeadSecret signs lead tokens (LEAD_TOKEN_SECRET; generated in development).
	LeadSecret string `env:"LEAD_TOKEN_SECRET"`
	// LeadTokenTTL is a lead token's lifetime (LEAD_TOKEN_TTL, default 15m).
	LeadTokenTTL time.Duration `env:"LEAD_TOKEN_TTL" envDefault:"15m"`

	// GraphiQL serves the GraphiQL page at / (GRAPHIQL, default on in development).
	GraphiQL *bool `env:"GRAPHIQL"`
	// Introspection allows schema introspection (GRAPHQL_INTROSPECTION, default on in
	// development).
	Introspection *bool `env:"GRAPHQL_INTROSPECTION"`
	// MaxPageSize is the largest page of a connection (GRAPHQL_MAX_PAGE_SIZE, default 100).
	MaxPageSize int `env:"GRAPHQL_MAX_PAGE_SIZE" envDefault:"100"`
	// MaxDepth is the deepest query accepted (GRAPHQL_MAX_DEPTH, default 12).
	MaxDepth int `env:"GRAPHQL_MAX_DEPTH" envDefault:"12"`
	// MaxTokens is the most tokens a GraphQL document may have (GRAPHQL_MAX_TOKENS, default
	// 5000).
	MaxTokens int `env:"GRAPHQL_MAX_TOKENS" envDefault:"5000"`
	// MaxBody is the largest GraphQL request body in bytes (GRAPHQL_MAX_BODY, default 1 MiB).
	MaxBody int64 `env:"GRAPHQL_MAX_BODY" envDefault:"1048576"`
	// MaxComplexity is the costliest query accepted (GRAPHQL_MAX_COMPLEXITY, default 20000).
	MaxComplexity int `env:"GRAPHQL_MAX_COMPLEXITY" envDefault:"20000"`

	// ReservedKeys are tenant keys nobody may take (RESERVED_TENANT_KEYS, comma separated,
	// default a built-in list of www, api, admin, app, mail, status and more).
	ReservedKeys []string `env:"RESERVED_TENANT_KEYS" envSeparator:","`

	// SecretKey is the server key that derives one-time codes and encrypts provisioning
	// secrets, at least 32 bytes (TENANTD_SECRET_KEY; generated in development and kept in
	// DataDir; required in production).
	SecretKey string `env:"TENANTD_SECRET_KEY"`
	// VerifyURL is the front end's email verification page (VERIFY_URL, default
	// <PUBLIC_URL>/verify); links are <VERIFY_URL>?lead=<id>&code=<code>.
	VerifyURL string `env:"VERIFY_URL"`
	// CodeTTL is how long an emailed verification code is good (VERIFICATION_CODE_TTL,
	// default 30m).
	CodeTTL time.Duration `env:"VERIFICATION_CODE_TTL" envDefault:"30m"`
	// LeadsPerIP bounds createLead per client address per hour (RATE_LIMIT_LEADS_PER_IP,
	// default 20; 0 turns it off).
	LeadsPerIP int `env:"RATE_LIMIT_LEADS_PER_IP" envDefault:"20"`
	// LeadsPerEmail bounds createLead per email per hour (RATE_LIMIT_LEADS_PER_EMAIL, default 5).
	LeadsPerEmail int `env:"RATE_LIMIT_LEADS_PER_EMAIL" envDefault:"5"`
	// VerifyPerLead bounds verifyLead per lead per hour (RATE_LIMIT_VERIFY_PER_LEAD, default 10).
	VerifyPerLead int `env:"RATE_LIMIT_VERIFY_PER_LEAD" envDefault:"10"`
	// TrustProxy takes the client address from X-Forwarded-For (TRUST_PROXY_HEADERS, default
	// false); set it only behind a proxy that overwrites that header.
	TrustProxy bool `env:"TRUST_PROXY_HEADERS" envDefault:"false"`
	// Mail configures outgoing email (SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD,
	// SMTP_TLS, SMTP_TIMEOUT, MAIL_FROM, MAIL_TEMPLATE_DIR); without SMTP_HOST emails are
	// written as .eml files into <TENANTD_DATA_DIR>/mail.
	Mail mail.Config

	// Provisioner is "local" (the built-in provisioner answers requests itself) or "external"
	// (a real pipeline consumes the request events) (PROVISIONER, default local in development,
	// external in production).
	Provisioner string `env:"PROVISIONER"`
	// LocalProvisionerDelay is how long the local provisioner waits before it calls back
	// (LOCAL_PROVISIONER_DELAY, default 2s).
	LocalProvisionerDelay time.Duration `env:"LOCAL_PROVISIONER_DELAY" envDefault:"2s"`
	// AttemptTTL is a provisioning attempt's deadline (PROVISIONING_DEADLINE, default 60m).
	AttemptTTL time.Duration `env:"PROVISIONING_DEADLINE" envDefault:"60m"`
	// CallbackURL is the webhook URL sent to provisioners (CALLBACK_URL, default
	// <PUBLIC_URL>/webhooks/provisioning).
	CallbackURL string `env:"CALLBACK_URL"`
	// AppDomain is the parent domain of tenants' applications, https://<key>.<APP_DOMAIN>
	// (APP_DOMAIN, default localhost).
	AppDomain string `env:"APP_DOMAIN" envDefault:"localhost"`
	// WebhookTolerance is how far a callback's timestamp may be from now, either side
	// (WEBHOOK_TOLERANCE, default 5m).
	WebhookTolerance time.Duration `env:"WEBHOOK_TOLERANCE" envDefault:"5m"`
	// WebhookMaxBody is the largest callback body in bytes (WEBHOOK_MAX_BODY, default 1 MiB).
	WebhookMaxBody int64 `env:"WEBHOOK_MAX_BODY" envDefault:"1048576"`
	// WebhookPerIP bounds callbacks per client address per minute (RATE_LIMIT_WEBHOOK_PER_IP,
	// default 600; 0 turns it off).
	WebhookPerIP int `env:"RATE_LIMIT_WEBHOOK_PER_IP" envDefault:"600"`
	// Events configures the event transports (EVENT_TRANSPORTS, default log; EVENT_SOURCE,
	// NATS_*, EVENT_HTTP_*, AWS_*, EVENTBRIDGE_BUS, SQS_QUEUE_URL).
	Events eventbus.Config

	// RunJobs runs River's job workers in this instance (RUN_JOBS, default true); false makes
	// an API-only instance whose jobs other instances run.
	RunJobs bool `env:"RUN_JOBS" envDefault:"true"`

	// ShutdownTimeout bounds the graceful shutdown, running jobs included (SHUTDOWN_TIMEOUT,
	// default 30s).
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"30s"`
}

// Load reads the environment and validates the result, reporting every problem at once.
func Load() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("read environment: %w", err)
	}
	c.SetDefaults()
	return c, c.validate()
}

// SetDefaults fills the defaults that derive from other fields (the mail folder under the data
// folder). Load calls it; tests that build a Config by hand call it too.
func (c *Config) SetDefaults() {
	if c.Mail.Dir == "" {
		c.Mail.Dir = filepath.Join(c.DataDir, "mail")
	}
}

// Development reports whether TENANTD_ENV is development.
func (c Config) Development() bool { return c.Env == "development" }

// GraphiQLOn reports whether to serve GraphiQL.
func (c Config) GraphiQLOn() bool { return orDefault(c.GraphiQL, c.Development()) }

// IntrospectionOn reports whether introspection is allowed.
func (c Config) IntrospectionOn() bool { return orDefault(c.Introspection, c.Development()) }

// Format returns the log format, applying its environment-dependent default.
func (c Config) Format() string {
	if c.LogFormat != "" {
		return c.LogFormat
	}
	if c.Development() {
		return "text"
	}
	return "json"
}

// BaseURL returns PublicURL or one derived from HTTPAddr.
func (c Config) BaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host := c.HTTPAddr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	return "http://" + host
}

// Callback returns CallbackURL or its default.
func (c Config) Callback() string {
	if c.CallbackURL != "" {
		return c.CallbackURL
	}
	return c.BaseURL() + "/webhooks/provisioning"
}

// LocalProvisioner reports whether the built-in provisioner answers provisioning requests.
func (c Config) LocalProvisioner() bool {
	if c.Provisioner == "" {
		return c.Development()
	}
	return c.Provisioner == "local"
}

// VerifyLink returns VerifyURL or its default.
func (c Config) VerifyLink() string {
	if c.VerifyURL != "" {
		return c.VerifyURL
	}
	return c.BaseURL() + "/verify"
}

func orDefault(v *bool, def bool) bool {
	if v == nil {
		return def
	}
	return *v
}

func (c Config) validate() error {
	var errs []error
	if c.Env != "development" && c.Env != "production" {
		errs = append(errs, fmt.Errorf("TENANTD_ENV: must be development or production, not %q", c.Env))
	}
	if _, err := obs.ParseFormat(c.Format()); err != nil {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %w", err))
	}
	if _, err := obs.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	if c.DBMaxConns < 2 {
		errs = append(errs, errors.New("DB_MAX_CONNS: must be at least 2"))
	}
	for name, v := range map[string]int{"GRAPHQL_MAX_PAGE_SIZE": c.MaxPageSize,
		"GRAPHQL_MAX_DEPTH": c.MaxDepth, "GRAPHQL_MAX_COMPLEXITY": c.MaxComplexity,
		"GRAPHQL_MAX_TOKENS": c.MaxTokens} {
		if v < 1 {
			errs = append(errs, fmt.Errorf("%s: must be positive", name))
		}
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("SHUTDOWN_TIMEOUT: must be positive"))
	}
	if c.Provisioner != "" && c.Provisioner != "local" && c.Provisioner != "external" {
		errs = append(errs, fmt.Errorf("PROVISIONER: must be local or external, not %q",
			c.Provisioner))
	}
	for name, d := range map[string]time.Duration{"PROVISIONING_DEADLINE": c.AttemptTTL,
		"WEBHOOK_TOLERANCE": c.WebhookTolerance} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", name))
		}
	}
	if c.LocalProvisionerDelay < 0 {
		errs = append(errs, errors.New("LOCAL_PROVISIONER_DELAY: must not be negative"))
	}
	if c.MaxBody < 1 {
		errs = append(errs, errors.New("GRAPHQL_MAX_BODY: must be positive"))
	}
	if c.WebhookMaxBody < 1 {
		errs = append(errs, errors.New("WEBHOOK_MAX_BODY: must be positive"))
	}
	if err := c.Events.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.CodeTTL <= 0 {
		errs = append(errs, errors.New("VERIFICATION_CODE_TTL: must be positive"))
	}
	for name, v := range map[string]int{"RATE_LIMIT_LEADS_PER_IP": c.LeadsPerIP,
		"RATE_LIMIT_LEADS_PER_EMAIL": c.LeadsPerEmail, "RATE_LIMIT_VERIFY_PER_LEAD": c.VerifyPerLead} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", name))
		}
	}
	if err := c.Mail.Validate(); err != nil {
		errs = append(errs, err)
	}
	if !c.Development() && c.SecretKey == "" {
		errs = append(errs, errors.New("TENANTD_SECRET_KEY: required in production"))
	}
	if !c.Development() && c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL: required in production"))
	}
	return errors.Join(errs...)
}
