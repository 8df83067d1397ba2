// Command bench is tenantd's load generator (`make bench`). By default it builds tenantd, runs
// it as a separate process on a throwaway database (dropped at the end, also on Ctrl-C), seeds
// 10,000 tenants, drives each scenario for a fixed time at a fixed number of connections, reads
// the server's resident memory from /proc, prints a table and writes docs/benchmarks.md. The
// last scenario is the onboarding flow end to end, from createLead to ACTIVE seen on the status
// subscription, with the local provisioner; after it the job pick-up latency is read from
// river_job. With -url and -token it targets a running service instead. Nothing imports it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// serverKeyEnv holds the server key of a -url service, for the onboarding flow.
const serverKeyEnv = "TENANTD_SECRET_KEY"

// errInvalid marks a run that had error answers: its numbers must not be used.
var errInvalid = errors.New("run is INVALID: some requests got error answers")

// options are the command-line flags.
type options struct {
	url, token string
	pid        int
	db         string
	duration   time.Duration
	warmup     time.Duration
	conns      int
	flows      int
	delay      time.Duration
	tenants    int
	scenario   string
	pprofDir   string
	drainLimit time.Duration
	out        string
	outSet     bool
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(ctx, opts, logger, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "", "base URL of a running tenantd (default: start one)")
	fs.StringVar(&o.token, "token", "", "operator token for -url (all permissions)")
	fs.IntVar(&o.pid, "pid", 0, "process id of the -url service, to read its memory")
	fs.StringVar(&o.db, "db", "", "DATABASE_URL of the -url service, to seed in SQL "+
		"(default: seed through onboardTenant)")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured warm-up per scenario")
	fs.IntVar(&o.conns, "c", 32, "concurrent connections")
	fs.IntVar(&o.flows, "flows", 16, "concurrent onboarding flows (scenario flow)")
	fs.DurationVar(&o.delay, "provision-delay", 200*time.Millisecond,
		"LOCAL_PROVISIONER_DELAY of the started server (with -url: the running server's); "+
			"subtracted from each onboarding flow")
	fs.IntVar(&o.tenants, "tenants", 10_000, "tenants to seed")
	fs.StringVar(&o.scenario, "scenario", "all",
		"scenario to run: all, "+strings.Join(scenarioNames(), ", "))
	fs.StringVar(&o.pprofDir, "pprof", "",
		"folder for CPU and heap profiles of the server, if it serves /debug/pprof/")
	fs.DurationVar(&o.drainLimit, "drain", 3*time.Minute,
		"longest wait after a scenario for the server's job queue to empty (needs its database)")
	fs.StringVar(&o.out, "out", "docs/benchmarks.md",
		"report file; empty for none (a single -scenario writes it only when -out is given)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) { o.outSet = o.outSet || f.Name == "out" })

	var errs []error
	if o.url != "" && o.token == "" {
		errs = append(errs, errors.New("-token: required with -url"))
	}
	if o.url == "" && (o.token != "" || o.pid != 0 || o.db != "") {
		errs = append(errs, errors.New("-token, -pid and -db: only with -url"))
	}
	if o.duration <= 0 || o.warmup < 0 {
		errs = append(errs, errors.New("-duration: must be positive (and -warmup not negative)"))
	}
	if o.conns < 1 {
		errs = append(errs, errors.New("-c: must be at least 1"))
	}
	if o.flows < 1 {
		errs = append(errs, errors.New("-flows: must be at least 1"))
	}
	if o.delay < 0 {
		errs = append(errs, errors.New("-provision-delay: must not be negative"))
	}
	if o.scenario == "flow" && o.url != "" && (o.db == "" || os.Getenv(serverKeyEnv) == "") {
		errs = append(errs, errors.New("-scenario flow: with -url it needs -db and the "+
			"server's "+serverKeyEnv+" in the environment (to derive verification codes)"))
	}
	if o.tenants < 1 {
		errs = append(errs, errors.New("-tenants: must be at least 1"))
	}
	if _, err := selectScenarios(o.scenario); err != nil {
		errs = append(errs, err)
	}
	return o, errors.Join(errs...)
}

// run benchmarks the target and reports; it returns errInvalid when any request failed.
func run(ctx context.Context, o options, logger *slog.Logger, stdout io.Writer) (err error) {
	scenarios, _ := selectScenarios(o.scenario)
	rep := report{started: time.Now().UTC(), loadBefore: loadAvg(), conns: o.conns,
		duration: o.duration, warmup: o.warmup, command: command()}
	tgt := target{base: strings.TrimRight(o.url, "/"), token: o.token, pid: o.pid, dsn: o.db,
		serverKey: os.Getenv(serverKeyEnv)}
	var svc *service
	if o.url == "" {
		if svc, err = startService(ctx, logger, o.delay); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, svc.close(logger)) }()
		tgt = svc.target
	}
	rep.machine = describeMachine(ctx, tgt.dsn)

	c := newClient(tgt, o.conns)
	logger.Info("seeding tenants", slog.Int("tenants", o.tenants))
	ids, err := seed(ctx, c, tgt.dsn, o.tenants, o.conns)
	if err != nil {
		return err
	}
	rep.seeded = len(ids)
	rep.memBefore, _ = readMemory(tgt.pid)
	profiler := newProfiler(ctx, c, o.pprofDir, logger)

	for _, sc := range scenarios {
		var flows *flowSetup
		if sc.flow {
			if tgt.dsn == "" || tgt.serverKey == "" {
				logger.Warn("onboarding flow skipped: with -url it needs -db and the server's " +
					serverKeyEnv + " in the environment")
				continue
			}
			if flows, err = newFlowSetup(ctx, tgt.dsn, tgt.serverKey, o.delay, o.flows); err != nil {
				return err
			}
		}
		resetPeak(tgt.pid)
		logger.Info("running", slog.String("scenario", sc.name),
			slog.Duration("warmup", o.warmup), slog.Duration("duration", o.duration))
		stopProfile := profiler.start(ctx, sc.name, o.warmup, o.duration)
		before := sampleCPU(tgt.pid)
		var res result
		if sc.flow {
			res = c.driveFlows(ctx, sc, flows, o.warmup, o.duration, o.flows)
			flows.close()
		} else {
			res = c.drive(ctx, sc, ids, o.warmup, o.duration, o.conns)
		}
		res.cpu = cpuBetween(before, sampleCPU(tgt.pid), tgt.pid != 0)
		stopProfile()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted during %s: %w", sc.name, ctx.Err())
		}
		res.mem, res.memKnown = readMemory(tgt.pid)
		if tgt.dsn != "" {
			if res.drain, err = waitForJobs(ctx, tgt.dsn, o.drainLimit); err != nil {
				return err
			}
			if sc.flow {
				if res.flow.pickups, err = jobPickups(ctx, tgt.dsn, res.from, res.to); err != nil {
					return err
				}
			}
		}
		rep.results = append(rep.results, res)
	}
	rep.loadAfter = loadAvg()

	rep.print(stdout)
	if o.out != "" && (o.scenario == "all" || o.outSet) {
		if err := rep.write(o.out); err != nil {
			return err
		}
		logger.Info("report written", slog.String("file", o.out))
	}
	if rep.invalid() {
		if svc != nil {
			fmt.Fprintf(os.Stderr, "last lines of the server log:\n%s\n", svc.logTail(20))
		}
		return errInvalid
	}
	return nil
}

// command is how this run was started, for the report.
func command() string {
	return strings.TrimSpace("go run ./cmd/bench " + strings.Join(os.Args[1:], " "))
}
