// Command tenantd is the tenant-management service: `serve` runs the API, webhook and job
// workers; `migrate` applies database migrations; `token` mints a development operator token;
// `version` prints the build.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/tenantd/tenantd/internal/app"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/config"
	"github.com/tenantd/tenantd/internal/obs"
)

// version is set by the linker (-X main.version=…); otherwise the module's build info is used.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := command().Run(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "tenantd:", err)
		os.Exit(1)
	}
}

func command() *cli.Command {
	return &cli.Command{
		Name:  "tenantd",
		Usage: "tenant management for a SaaS control plane",
		Commands: []*cli.Command{
			{
				Name:  "serve",
				Usage: "serve the GraphQL API and the provisioning webhook, and run the job workers",
				Action: func(ctx context.Context, _ *cli.Command) error {
					cfg, logger, err := setup()
					if err != nil {
						return err
					}
					return app.Serve(ctx, cfg, logger)
				},
			},
			{
				Name:  "migrate",
				Usage: "apply tenantd's and River's database migrations, then exit",
				Action: func(ctx context.Context, _ *cli.Command) error {
					cfg, logger, err := setup()
					if err != nil {
						return err
					}
					return app.Migrate(ctx, cfg, logger)
				},
			},
			tokenCommand(),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(context.Context, *cli.Command) error {
					fmt.Println(buildVersion())
					return nil
				},
			},
		},
	}
}

func tokenCommand() *cli.Command {
	return &cli.Command{
		Name:  "token",
		Usage: "mint an operator token (HS256 setups: AUTH_HS256_SECRET or the development secret)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "subject", Value: "dev-operator", Usage: "the token's sub claim"},
			&cli.StringSliceFlag{Name: "permission", Aliases: []string{"p"},
				Usage: "a permission name or ARC code; repeat it; default all permissions"},
			&cli.DurationFlag{Name: "ttl", Value: 24 * time.Hour, Usage: "lifetime"},
		},
		Action: func(_ context.Context, c *cli.Command) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			var perms []auth.Permission
			for _, s := range c.StringSlice("permission") {
				p, ok := auth.ParsePermission(s)
				if !ok {
					return fmt.Errorf("--permission: unknown permission %q", s)
				}
				perms = append(perms, p)
			}
			token, err := app.Token(cfg, c.String("subject"), perms, c.Duration("ttl"))
			if err != nil {
				return err
			}
			fmt.Println(token)
			return nil
		},
	}
}

// setup loads the configuration and builds the logger.
func setup() (config.Config, *slog.Logger, error) {
	cfg, err := config.Load()
	if err != nil {
		return cfg, nil, err
	}
	level, _ := obs.ParseLevel(cfg.LogLevel)
	return cfg, obs.NewLogger(os.Stderr, cfg.Format(), level), nil
}

// buildVersion returns the linked version or the module version and VCS revision.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}
