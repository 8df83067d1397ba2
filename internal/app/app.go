// Package app wires tenantd together: configuration in, a running service out. cmd/tenantd calls
// Serve, Migrate and Token; tests call New to run a whole service on their own database.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/config"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/migrate"
	"github.com/tenantd/tenantd/internal/pgembed"
)

// database returns the DSN to use: DATABASE_URL, or a private PostgreSQL started under the data
// folder. stop shuts the private server down (a no-op for DATABASE_URL).
func database(ctx context.Context, cfg config.Config, logger *slog.Logger,
) (dsn string, stop func(context.Context) error, err error) {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, func(context.Context) error { return nil }, nil
	}
	logger.InfoContext(ctx, "DATABASE_URL not set; starting a private PostgreSQL",
		slog.String("data_dir", cfg.DataDir))
	srv, err := pgembed.Start(ctx, pgembed.Options{DataDir: cfg.DataDir, Logger: logger})
	if err != nil {
		return "", nil, fmt.Errorf("start private database: %w", err)
	}
	return srv.DSN(), srv.Stop, nil
}

// keys are the signing and encryption secrets of a service.
type keys struct {
	auth   auth.Config
	server []byte
}

// loadKeys builds the token configuration and the server key; in development, missing secrets
// are generated once and kept in the data folder.
func loadKeys(cfg config.Config) (keys, error) {
	k := keys{
		auth: auth.Config{
			HS256Secret:  []byte(cfg.HS256Secret),
			JWKSURL:      cfg.JWKSURL,
			Issuer:       cfg.Issuer,
			Audience:     cfg.Audience,
			LeadSecret:   []byte(cfg.LeadSecret),
			LeadTokenTTL: cfg.LeadTokenTTL,
		},
		server: []byte(cfg.SecretKey),
	}
	needOperator := len(k.auth.HS256Secret) == 0 && k.auth.JWKSURL == ""
	needLead, needServer := len(k.auth.LeadSecret) == 0, len(k.server) == 0
	if cfg.Development() && (needOperator || needLead || needServer) {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return k, fmt.Errorf("create data folder: %w", err)
		}
		s, err := loadDevSecrets(cfg.DataDir)
		if err != nil {
			return k, err
		}
		if needOperator {
			k.auth.HS256Secret = []byte(s.HS256)
		}
		if needLead {
			k.auth.LeadSecret = []byte(s.Lead)
		}
		if needServer {
			k.server = []byte(s.Server)
		}
	}
	if err := k.auth.Validate(); err != nil {
		return k, fmt.Errorf("token configuration: %w", err)
	}
	return k, nil
}

// Migrate applies every migration to the configured database and returns.
func Migrate(ctx context.Context, cfg config.Config, logger *slog.Logger) (err error) {
	dsn, stop, err := database(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop(context.Background())) }()
	d, err := db.Open(ctx, dsn, db.Options{MaxConns: 4}, logger)
	if err != nil {
		return err
	}
	defer d.Close()
	return migrate.Up(ctx, d.Pool, logger)
}

// Token mints an operator token with perms (all permissions when empty) for subject. It needs
// an HS256 setup: AUTH_HS256_SECRET, or the development secret in the data folder.
func Token(cfg config.Config, subject string, perms []auth.Permission,
	ttl time.Duration) (string, error) {
	k, err := loadKeys(cfg)
	if err != nil {
		return "", err
	}
	m, err := auth.NewMinter(k.auth)
	if err != nil {
		return "", fmt.Errorf("create token minter: %w", err)
	}
	if len(perms) == 0 {
		perms = auth.AllPermissions()
	}
	return m.MintOperator(subject, perms, ttl)
}
