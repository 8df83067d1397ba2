package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui"

	"github.com/tenantd/tenantd/graph"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/config"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/eventbus"
	"github.com/tenantd/tenantd/internal/lifecycle"
	"github.com/tenantd/tenantd/internal/mail"
	"github.com/tenantd/tenantd/internal/migrate"
	"github.com/tenantd/tenantd/internal/obs"
	"github.com/tenantd/tenantd/internal/onboarding"
	"github.com/tenantd/tenantd/internal/outbox"
	"github.com/tenantd/tenantd/internal/provisioning"
	"github.com/tenantd/tenantd/internal/pubsub"
	"github.com/tenantd/tenantd/internal/ratelimit"
	"github.com/tenantd/tenantd/internal/secret"
	"github.com/tenantd/tenantd/internal/webhook"
	"github.com/tenantd/tenantd/jobs"
)

// Service is a built tenantd: database, job client and HTTP handler. Build it with New, run it
// with Start and Shutdown (or Serve, which does both around a listener).
type Service struct {
	cfg     config.Config
	logger  *slog.Logger
	DB      *db.DB
	Minter  *auth.Minter
	Handler http.Handler
	river   *river.Client[pgx.Tx]
	riverUI *riverui.Handler
	bus     *eventbus.Bus
	// riverStarted is set when this instance runs job workers (RUN_JOBS).
	riverStarted bool
	stopDB       func(context.Context) error
	// Broker fans tenant status changes out to this instance's subscriptions; it listens
	// between Start and Shutdown.
	Broker     *pubsub.Broker
	stopBroker context.CancelFunc
	brokerDone chan struct{}
}

// Options adjust New for tests; production passes the zero value.
type Options struct {
	// Tracer sees every SQL query of the pool.
	Tracer pgx.QueryTracer
}

// New connects to (or starts) the database, migrates it when AUTO_MIGRATE is on, and builds the
// job client and the HTTP handler. Nothing runs until Start.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, opts Options,
) (_ *Service, err error) {
	s := &Service{cfg: cfg, logger: logger}
	dsn, stop, err := database(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	s.stopDB = stop
	defer func() {
		if err != nil {
			_ = s.close(context.Background())
		}
	}()
	s.DB, err = db.Open(ctx, dsn, db.Options{MaxConns: cfg.DBMaxConns, Tracer: opts.Tracer}, logger)
	if err != nil {
		return nil, err
	}
	if cfg.AutoMigrate {
		if err := migrate.Up(ctx, s.DB.Pool, logger); err != nil {
			return nil, err
		}
	}
	k, err := loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	verifier, err := auth.NewVerifier(ctx, k.auth, logger)
	if err != nil {
		return nil, fmt.Errorf("create token verifier: %w", err)
	}
	if len(k.auth.HS256Secret) > 0 {
		if s.Minter, err = auth.NewMinter(k.auth); err != nil {
			return nil, fmt.Errorf("create token minter: %w", err)
		}
	}
	leadMinter, err := auth.NewMinter(auth.Config{LeadSecret: k.auth.LeadSecret,
		LeadTokenTTL: k.auth.LeadTokenTTL})
	if err != nil {
		return nil, fmt.Errorf("create lead token minter: %w", err)
	}
	keyring, err := secret.NewKeyring(k.server)
	if err != nil {
		return nil, fmt.Errorf("TENANTD_SECRET_KEY: %w", err)
	}
	mailer, err := mail.New(cfg.Mail, logger)
	if err != nil {
		return nil, fmt.Errorf("configure email: %w", err)
	}
	templates, err := mail.LoadTemplates(cfg.Mail.TemplateDir)
	if err != nil {
		return nil, fmt.Errorf("load email templates: %w", err)
	}
	metrics := obs.NewMetrics(prometheus.NewRegistry())
	workers := river.NewWorkers()
	enqueuer, err := db.NewJobs(s.DB.SQL, workers)
	if err != nil {
		return nil, err
	}
	machine := lifecycle.New(outbox.NewWriter(enqueuer, jobs.PublishOutbox))
	prov := provisioning.New(s.DB.Ent, machine, keyring, enqueuer, provisioning.Jobs{
		Deadline:      jobs.ProvisioningDeadline,
		Welcome:       jobs.WelcomeEmail,
		IdentitySetup: jobs.IdentitySetup,
	}, provisioning.Config{AttemptTTL: cfg.AttemptTTL, CallbackURL: cfg.Callback(),
		Observe: metrics.ObserveProvisioning})
	bus, err := eventbus.New(cfg.Events, logger)
	if err != nil {
		return nil, fmt.Errorf("configure event transports: %w", err)
	}
	s.bus = bus
	pub := &publisher{bus: bus, prov: prov}
	if cfg.LocalProvisioner() {
		pub.local = jobs.NewLocalProvisioner(enqueuer)
	}
	jobs.Register(workers, jobs.Deps{
		Ent: s.DB.Ent, Logger: logger, Keys: keyring, Mailer: mailer, Templates: templates,
		VerifyURL: cfg.VerifyLink(), AppDomain: cfg.AppDomain, CallbackURL: cfg.Callback(),
		Provisioning: prov, Publisher: pub, Jobs: enqueuer,
		LocalProvisionerDelay: cfg.LocalProvisionerDelay,
	})
	if err := s.buildJobs(logger, metrics, workers); err != nil {
		return nil, err
	}
	onboard := onboarding.New(s.DB.Ent, enqueuer, jobs.VerificationEmail, machine, keyring,
		leadMinter, onboarding.Config{
			ReservedKeys:    cfg.ReservedKeys,
			CodeTTL:         cfg.CodeTTL,
			LeadsPerAddress: cfg.LeadsPerIP,
			LeadsPerEmail:   cfg.LeadsPerEmail,
			VerifyPerLead:   cfg.VerifyPerLead,
		})
	hook := webhook.NewHandler(prov, webhook.Options{
		Logger: logger, Metrics: metrics, Tolerance: cfg.WebhookTolerance,
		MaxBody: cfg.WebhookMaxBody, Limiter: perMinute(cfg.WebhookPerIP),
	})
	s.Broker = pubsub.NewBroker(s.DB.Pool, logger)
	s.Handler = s.routes(verifier, metrics, onboard, prov, hook)
	return s, nil
}

// buildJobs creates the River client that runs the workers, and River's dashboard.
func (s *Service) buildJobs(logger *slog.Logger, metrics *obs.Metrics, workers *river.Workers,
) error {
	host, _ := os.Hostname()
	rc, err := river.NewClient(riverpgxv5.New(s.DB.Pool), &river.Config{
		ID:     fmt.Sprintf("%s-%d", host, os.Getpid()),
		Logger: logger,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 20},
			jobs.QueueEmail:    {MaxWorkers: 10},
			jobs.QueueEvents:   {MaxWorkers: 20},
			jobs.QueueIdentity: {MaxWorkers: 5},
		},
		Workers:      workers,
		PeriodicJobs: jobs.Periodic(),
		// Jobs are picked up right after their insert is notified; the poll is the fallback.
		FetchCooldown:     5 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		// A job left running by a crashed instance is retried after this; it must exceed the
		// longest job timeout (the local provisioner's delay plus a minute).
		RescueStuckJobsAfter: 5*time.Minute + s.cfg.LocalProvisionerDelay,
		SoftStopTimeout:      s.cfg.ShutdownTimeout / 2,
		Middleware:           []rivertype.Middleware{jobMetrics(metrics)},
	})
	if err != nil {
		return fmt.Errorf("create river client: %w", err)
	}
	s.river = rc
	s.riverUI, err = riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(rc, nil),
		Logger:    logger,
		Prefix:    "/riverui",
	})
	if err != nil {
		return fmt.Errorf("create river dashboard: %w", err)
	}
	return nil
}

// perMinute returns a limiter of n events per minute per key, or nil (no limit) for n ≤ 0.
func perMinute(n int) *ratelimit.Limiter {
	if n <= 0 {
		return nil
	}
	return ratelimit.New(n, time.Minute/time.Duration(n))
}

// jobMetrics records every job run's kind, outcome and duration.
func jobMetrics(m *obs.Metrics) rivertype.Middleware {
	return river.WorkerMiddlewareFunc(func(ctx context.Context, job *rivertype.JobRow,
		doInner func(context.Context) error,
	) error {
		start := time.Now()
		err := doInner(ctx)
		outcome := "completed"
		switch {
		case err == nil:
		case job.Attempt >= job.MaxAttempts:
			outcome = "discarded"
		default:
			outcome = "retryable"
		}
		m.ObserveJob(job.Kind, outcome, time.Since(start))
		return err
	})
}

// routes builds the HTTP handler: middleware order is request id, access log, then per route
// metrics and authentication.
func (s *Service) routes(verifier *auth.Verifier, metrics *obs.Metrics,
	onboard *onboarding.Service, prov *provisioning.Service, hook http.Handler,
) http.Handler {
	mux := http.NewServeMux()
	gql := graph.NewHandler(graph.Deps{
		Client:       s.DB.Ent,
		Logger:       s.logger,
		Verifier:     verifier,
		Observer:     metrics,
		Onboarding:   onboard,
		Provisioning: prov,
		Broker:       s.Broker,
		Limits: graph.Limits{
			MaxPageSize:   s.cfg.MaxPageSize,
			MaxTokens:     s.cfg.MaxTokens,
			MaxDepth:      s.cfg.MaxDepth,
			MaxComplexity: s.cfg.MaxComplexity,
		},
		Introspection: s.cfg.IntrospectionOn(),
	})
	mux.Handle("/graphql", metrics.HTTP("/graphql",
		graph.LimitBody(s.cfg.MaxBody, verifier.Middleware(gql))))
	mux.Handle("/webhooks/provisioning", metrics.HTTP("/webhooks/provisioning", hook))
	mux.Handle("/healthz", metrics.HTTP("/healthz", obs.Healthz()))
	mux.Handle("/readyz", metrics.HTTP("/readyz", obs.Readyz(s.logger, map[string]obs.Check{
		"database":   s.DB.Ping,
		"migrations": func(ctx context.Context) error { return migrate.Current(ctx, s.DB.Pool) },
	}, 0)))
	mux.Handle("/metrics", metrics.Handler())
	mux.Handle("/riverui/", metrics.HTTP("/riverui/", operatorsOnly(verifier, s.riverUI)))
	if s.cfg.GraphiQLOn() {
		mux.Handle("/{$}", playground.Handler("tenantd", "/graphql"))
	}
	return obs.RequestIDMiddleware(obs.AccessLog(s.logger)(
		obs.ClientIPMiddleware(s.cfg.TrustProxy)(mux)))
}

// Start starts the job workers, the dashboard and the status listener; the HTTP handler is
// usable from New on, subscriptions once Broker.Ready is closed.
func (s *Service) Start(ctx context.Context) error {
	bctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBroker, s.brokerDone = stop, make(chan struct{})
	go func() {
		defer close(s.brokerDone)
		_ = s.Broker.Run(bctx) // returns nil when bctx ends; it logs connection trouble
	}()
	if s.cfg.RunJobs {
		if err := s.river.Start(ctx); err != nil {
			return fmt.Errorf("start river: %w", err)
		}
		s.riverStarted = true
	}
	if err := s.riverUI.Start(ctx); err != nil {
		return fmt.Errorf("start river dashboard: %w", err)
	}
	return nil
}

// Shutdown stops the workers (letting running jobs finish within the shutdown timeout), then
// closes the database.
func (s *Service) Shutdown(ctx context.Context) error {
	var errs []error
	if s.stopBroker != nil {
		s.stopBroker()
		select {
		case <-s.brokerDone:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("stop status listener: %w", ctx.Err()))
		}
	}
	errs = append(errs, s.stopJobs(ctx))
	errs = append(errs, s.close(ctx))
	return errors.Join(errs...)
}

// stopJobs stops the job workers, letting running jobs finish within ctx; later calls do
// nothing.
func (s *Service) stopJobs(ctx context.Context) error {
	if !s.riverStarted {
		return nil
	}
	s.riverStarted = false
	if err := s.river.Stop(ctx); err != nil {
		return fmt.Errorf("stop river: %w", err)
	}
	return nil
}

// close releases the event transports, the database pool and the private database server.
func (s *Service) close(ctx context.Context) error {
	if s.bus != nil {
		s.bus.Close()
	}
	if s.DB != nil {
		s.DB.Close()
	}
	if s.stopDB != nil {
		return s.stopDB(ctx)
	}
	return nil
}

// Serve runs the service until ctx ends, then shuts down gracefully: the HTTP server stops
// accepting and finishes requests, running jobs finish, and the database is closed.
func Serve(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	s, err := New(ctx, cfg, logger, Options{})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		_ = s.Shutdown(context.Background())
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if err := s.Start(ctx); err != nil {
		_ = s.Shutdown(context.Background())
		return err
	}
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.announce(ctx)

	select {
	case err = <-served:
	case <-ctx.Done():
	}
	logger.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Jobs stop first: a running one may still call this service (the local provisioner
	// calls the webhook), so the HTTP server closes after them.
	errs := []error{s.stopJobs(sctx), srv.Shutdown(sctx), s.Shutdown(sctx)}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve http: %w", err))
	}
	return errors.Join(errs...)
}

// announce logs where the service answers and, in development, prints an operator token.
func (s *Service) announce(ctx context.Context) {
	base := s.cfg.BaseURL()
	s.logger.InfoContext(ctx, "tenantd serving", slog.String("graphql", base+"/graphql"))
	if !s.cfg.Development() || s.Minter == nil {
		return
	}
	token, err := s.Minter.MintOperator("dev-operator", auth.AllPermissions(), 24*time.Hour)
	if err != nil {
		s.logger.WarnContext(ctx, "no development token", slog.Any("err", err))
		return
	}
	fmt.Fprintf(os.Stdout, "\ntenantd is running.\n  GraphiQL:  %s/\n  GraphQL:   %s/graphql\n"+
		"  Operator token (24h, all permissions; `make token` mints another):\n\n%s\n\n"+
		"  In GraphiQL, set the header {\"Authorization\": \"Bearer <token>\"}.\n\n",
		base, base, token)
}

// operatorsOnly lets only operator tokens through to next. Browsers cannot add a bearer header
// to page loads, so a token may also come once as ?token=…, which is moved into an HttpOnly
// cookie scoped to the dashboard.
func operatorsOnly(v *auth.Verifier, next http.Handler) http.Handler {
	const cookie = "tenantd_dashboard_token"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := r.URL.Query().Get("token"); t != "" {
			http.SetCookie(w, &http.Cookie{Name: cookie, Value: t, Path: "/riverui",
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
			return
		}
		header := r.Header.Get("Authorization")
		if c, err := r.Cookie(cookie); header == "" && err == nil {
			header = "Bearer " + c.Value
		}
		ctx := v.Authenticate(r.Context(), header)
		if err := auth.RequireOperator(ctx); err != nil {
			http.Error(w, "operator token required (Authorization header or ?token=)",
				http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
