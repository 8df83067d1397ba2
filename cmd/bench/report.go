package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
)

// Targets every scenario is judged against, besides its own requests per second.
const (
	maxP99  = 100 * time.Millisecond
	maxPeak = 150 << 20 // bytes of resident memory
)

// analysisHeading starts the hand-written part of the report file, which write keeps.
const analysisHeading = "\n## Analysis"

// report is one benchmark run.
type report struct {
	started               time.Time
	command               string
	machine               machine
	loadBefore, loadAfter string
	conns                 int
	duration, warmup      time.Duration
	seeded                int
	memBefore             memory
	results               []result
}

// machine describes where the run happened.
type machine struct {
	cpu, memTotal, kernel, goVersion, postgres string
	cpus                                       int
}

func describeMachine(ctx context.Context, dsn string) machine {
	m := machine{cpu: "unknown", memTotal: "unknown", kernel: "unknown", postgres: "unknown",
		goVersion: runtime.Version(), cpus: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.cpu = procField(string(b), "model name")
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		kb, _ := strconv.ParseInt(strings.TrimSuffix(procField(string(b), "MemTotal"), " kB"),
			10, 64)
		m.memTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if dsn != "" {
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			_ = conn.QueryRow(ctx, "SELECT version()").Scan(&m.postgres)
			_ = conn.Close(ctx)
		}
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc file.
func procField(text, name string) string {
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// misses lists the targets r missed: rps, p99 (own-time p50 for the onboarding flow), errors,
// RSS (peak).
func (r result) misses() []string {
	var m []string
	switch {
	case r.flow != nil:
		if r.p50() >= flowTarget {
			m = append(m, "own-time p50")
		}
	case r.rps() < r.sc.target:
		m = append(m, "rps")
	}
	if r.flow == nil && r.p99() > maxP99 {
		m = append(m, "p99")
	}
	if r.errors > 0 {
		m = append(m, "errors")
	}
	if r.memKnown && r.mem.peak > maxPeak {
		m = append(m, "RSS")
	}
	return m
}

func (r result) verdict() string {
	if m := r.misses(); len(m) > 0 {
		return "missed (" + strings.Join(m, ", ") + ")"
	}
	return "met"
}

func (rep *report) invalid() bool {
	for _, r := range rep.results {
		if r.errors > 0 {
			return true
		}
	}
	return false
}

func mib(b int64, known bool) string {
	if !known {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// rows are the result table, one row per scenario, shared by the terminal and the file.
func (rep *report) rows() [][]string {
	rows := [][]string{{"scenario", "requests", "rps", "target rps", "p50", "p99", "errors",
		"RSS after", "peak RSS", "CPU server/bench/other", "server CPU/req", "verdict"}}
	for _, r := range rep.results {
		if r.flow != nil {
			continue
		}
		rows = append(rows, []string{r.sc.title, strconv.Itoa(r.requests),
			fmt.Sprintf("%.0f", r.rps()), fmt.Sprintf("≥ %.0f", r.sc.target), ms(r.p50()),
			ms(r.p99()), strconv.Itoa(r.errors), mib(r.mem.rss, r.memKnown),
			mib(r.mem.peak, r.memKnown),
			fmt.Sprintf("%.2f / %.2f / %.2f", r.cpu.server, r.cpu.self, r.cpu.other),
			fmt.Sprintf("%.2f ms", 1000*r.cpu.server/r.rps()), r.verdict()})
	}
	return rows
}

// queueNotes describes the job backlog each scenario left behind (verification emails).
func (rep *report) queueNotes() []string {
	var notes []string
	for _, r := range rep.results {
		d := r.drain
		switch {
		case d.backlog == 0:
		case d.left > 0:
			notes = append(notes, fmt.Sprintf("%s left %d jobs queued; %d still queued after "+
				"%.0f s", r.sc.title, d.backlog, d.left, d.took.Seconds()))
		default:
			notes = append(notes, fmt.Sprintf("%s left %d jobs queued; the queue was empty "+
				"%.1f s later (about %.0f jobs/s)", r.sc.title, d.backlog, d.took.Seconds(),
				float64(d.backlog)/d.took.Seconds()))
		}
	}
	return notes
}

// print writes the table and, for an invalid run, the errors seen.
func (rep *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if rows := rep.rows(); len(rows) > 1 {
		for _, row := range rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		_ = tw.Flush()
	}
	for _, r := range rep.results {
		if r.flow == nil {
			continue
		}
		for _, table := range r.flowTables() {
			fmt.Fprintln(w)
			for _, row := range table {
				fmt.Fprintln(tw, strings.Join(row, "\t"))
			}
			_ = tw.Flush()
		}
	}
	fmt.Fprintf(w, "load average before %s, after %s\n", rep.loadBefore, rep.loadAfter)
	for _, n := range rep.queueNotes() {
		fmt.Fprintln(w, n)
	}
	if !rep.invalid() {
		return
	}
	fmt.Fprintln(w, "\nINVALID RUN: some requests got error answers; do not use these numbers.")
	for _, r := range rep.results {
		for _, s := range r.samples {
			fmt.Fprintf(w, "  %s: %s\n", r.sc.title, s)
		}
	}
}

// write renders the report as Markdown into path, keeping the hand-written part of an existing
// file (from its "## Analysis" heading on).
func (rep *report) write(path string) error {
	var analysis []byte
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if i := bytes.Index(old, []byte(analysisHeading)); i >= 0 {
			analysis = old[i:]
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read %s: %w", path, err)
	}
	var b bytes.Buffer
	rep.markdown(&b)
	b.Write(analysis)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create folder of %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (rep *report) markdown(w io.Writer) {
	m := rep.machine
	fmt.Fprintf(w, `# Benchmarks

Written by `+"`make bench`"+` (cmd/bench) on %s; everything above "Analysis" is
regenerated by each run.

Command: `+"`%s`"+`

| machine | |
|---|---|
| CPU | %s, %d cores (nproc) |
| memory | %s |
| kernel | %s |
| Go | %s |
| PostgreSQL | %s |
| load average (1/5/15 min) before | %s |
| load average after | %s |

The load generator, tenantd and PostgreSQL share these %d cores, so every number here is lower
than a server with the machine to itself would reach; other work on the machine shows in the
load average.

`, rep.started.Format("2006-01-02 15:04 MST"), rep.command, m.cpu, m.cpus, m.memTotal,
		m.kernel, m.goVersion, m.postgres, rep.loadBefore, rep.loadAfter, m.cpus)

	if rep.invalid() {
		fmt.Fprint(w, "**INVALID RUN: some requests got error answers; the numbers below "+
			"are not usable.**\n\n")
	}
	if rows := rep.rows(); len(rows) > 1 {
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(rows[0], " | "),
			strings.Repeat("---|", len(rows[0])))
		for _, row := range rows[1:] {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
	}
	for _, r := range rep.results {
		if r.flow != nil {
			r.flowMarkdown(w)
		}
	}
	if notes := rep.queueNotes(); len(notes) > 0 {
		fmt.Fprintf(w, "\nJob queue: %s. The next scenario starts once the queue is empty (or "+
			"after -drain), so it does not pay for the previous one's jobs.\n",
			strings.Join(notes, "; "))
	}
	fmt.Fprintf(w, `
Targets: onboardTenant and createLead ≥ 1,200/s, tenant(id) ≥ 3,000/s, tenants(first: 20)
≥ 2,000/s; p99 ≤ %v and peak resident memory ≤ %d MiB for each; no error answers.
Server memory when idle after seeding: %s (peak since start %s).

How: tenantd built from this tree and run as its own process (TENANTD_ENV=production,
LOG_LEVEL=warn, rate limits off, emails written as .eml files by the real job pipeline) on a
fresh database with %d seeded tenants (plan `+"`bench`"+`, an address, two contacts each).
Each scenario runs %v of warm-up, then %v measured, on %d connections in a closed loop (each
connection sends its next request when the answer arrives). rps counts the requests started in
the measured window; p50/p99 are nearest-rank percentiles of all of them; an error is an HTTP
status other than 200, any GraphQL error, or a null result; errors include the warm-up.
Memory is VmRSS of the server after the scenario and VmHWM over the scenario (reset before it
through /proc/<pid>/clear_refs). CPU is the average number of cores busy during the scenario
(warm-up included): the server process, this load generator, and everything else on the machine
(mostly PostgreSQL, plus whatever else runs there); server CPU/req is the server's CPU time per
request, which the load on the machine barely changes: the target rps times it must fit in the
cores the server gets. Scenarios run in the order shown on one
database, so the read scenarios also see the tenants onboardTenant created. createLead sends
unique emails anonymously; onboardTenant unique keys and domains with one contact; tenant(id)
reads a random seeded tenant with its plan, address and contacts; tenants(first: 20) reads a
page with its page info, contacts and address, ordered at random by created-at, key or name,
ascending or descending.
`, maxP99, maxPeak>>20, mib(rep.memBefore.rss, rep.memBefore.rss > 0),
		mib(rep.memBefore.peak, rep.memBefore.rss > 0), rep.seeded, rep.warmup, rep.duration,
		rep.conns)
}

// flowTables are the onboarding flow's tables: the summary, its steps, and the job pick-up
// latency; the first row of each is its header.
func (r result) flowTables() [][][]string {
	f := r.flow
	summary := [][]string{{"onboarding flow", "flows", "flows/s", "own p50", "own p99",
		"wall p50", "wall p99", "errors", "peak RSS", "CPU server/bench/other",
		"server CPU/flow", "verdict"}, {fmt.Sprintf("%d concurrent", r.conns),
		strconv.Itoa(r.requests), fmt.Sprintf("%.1f", r.rps()), ms(r.p50()), ms(r.p99()),
		ms(percentile(f.totals, 50)), ms(percentile(f.totals, 99)), strconv.Itoa(r.errors),
		mib(r.mem.peak, r.memKnown),
		fmt.Sprintf("%.2f / %.2f / %.2f", r.cpu.server, r.cpu.self, r.cpu.other),
		fmt.Sprintf("%.2f ms", 1000*r.cpu.server/r.rps()), r.verdict()}}
	steps := [][]string{{"step", "p50", "p99"}}
	for i, title := range stepTitles {
		steps = append(steps, []string{title, ms(percentile(f.steps[i], 50)),
			ms(percentile(f.steps[i], 99))})
	}
	pickups := [][]string{{"job kind", "jobs", "pick-up p50", "pick-up p99"}}
	for _, p := range f.pickups {
		pickups = append(pickups, []string{p.kind, strconv.Itoa(p.jobs), ms(p.p50), ms(p.p99)})
	}
	return [][][]string{summary, steps, pickups}
}

// flowMarkdown writes the onboarding flow's section of the report.
func (r result) flowMarkdown(w io.Writer) {
	fmt.Fprintf(w, `
## Onboarding flow

Target: own time per flow p50 < %v; no errors.

`, flowTarget)
	for _, table := range r.flowTables() {
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(table[0], " | "),
			strings.Repeat("---|", len(table[0])))
		for _, row := range table[1:] {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, `Each of %d workers runs flows back to back: createLead (unique email on a unique
domain) → verification code → verifyLead → onboardTenantFromLead with the lead token (unique key,
the email's domain, plan `+"`bench`"+`) → a websocket (graphql-transport-ws, lead token in
connection_init) subscribing to tenantStatusChanged(tenantId), waiting for its first event
(PENDING_PROVISION) → provisionTenant with the lead token → PROVISIONING and ACTIVE seen on the
subscription. The server runs PROVISIONER=local with LOCAL_PROVISIONER_DELAY=%v. Own time is a
flow's wall time minus that delay and minus the bench's code lookup: instead of reading the
emailed .eml file, the bench takes the lead's verification id from lead_verifications and
derives the code with the server key it gave the server (internal/secret.Keyring.Code), a
shortcut a client does not have. Flows started in the measured window count; steps are
percentiles over the same flows, so they do not add up to the percentiles of the whole. Job
pick-up is the time from a job's scheduled_at to its (last) attempted_at for the jobs completed
that were created during the flow scenario (warm-up included; provisioning_deadline, due an hour
later, left out); local_provision jobs are scheduled LOCAL_PROVISIONER_DELAY ahead.
`, r.conns, r.flow.delay)
}
