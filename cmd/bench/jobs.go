package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// backlogQuery counts the River jobs still waiting or running.
const backlogQuery = `SELECT count(*) FROM river_job
WHERE state IN ('available', 'running') OR (state = 'scheduled' AND scheduled_at <= now())`

// drain is how the server's job queue emptied after a scenario.
type drain struct {
	backlog int           // jobs queued or running when the scenario ended
	took    time.Duration // until none were left
	left    int           // still queued when the wait gave up
}

// waitForJobs waits until the server's job queue is empty or limit passes, so work a scenario
// queued (verification emails) does not run during the next one.
func waitForJobs(ctx context.Context, dsn string, limit time.Duration) (drain, error) {
	var d drain
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return d, fmt.Errorf("connect to watch the job queue: %w", err)
	}
	defer conn.Close(context.Background())
	start := time.Now()
	for {
		n := 0
		if err := conn.QueryRow(ctx, backlogQuery).Scan(&n); err != nil {
			return d, fmt.Errorf("count queued jobs: %w", err)
		}
		if d.took == 0 && d.backlog == 0 {
			d.backlog = n
		}
		d.took, d.left = time.Since(start), n
		if n == 0 || d.took >= limit {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return d, fmt.Errorf("wait for the job queue: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// pickupQuery is the pick-up latency (started minus due) of the jobs completed that were created
// between $1 and $2, per kind: provisioning deadlines are due an hour later, so not included.
// The latencies are in microseconds.
const pickupQuery = `SELECT kind, count(*)::int,
	(percentile_disc(0.5) WITHIN GROUP (ORDER BY wait))::bigint,
	(percentile_disc(0.99) WITHIN GROUP (ORDER BY wait))::bigint
FROM (SELECT kind, extract(epoch FROM attempted_at - scheduled_at) * 1e6 AS wait, state,
	attempted_at, created_at FROM river_job) j
WHERE state = 'completed' AND kind <> 'provisioning_deadline' AND attempted_at IS NOT NULL
	AND created_at >= $1 AND created_at < $2
GROUP BY kind ORDER BY kind`

// pickup is how long the jobs of one kind waited after they were due until a worker took them.
type pickup struct {
	kind     string
	jobs     int
	p50, p99 time.Duration
}

// jobPickups reads the pick-up latency per job kind of the jobs created between from and to.
func jobPickups(ctx context.Context, dsn string, from, to time.Time) ([]pickup, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to read job pick-up latency: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, pickupQuery, from, to)
	if err != nil {
		return nil, fmt.Errorf("read job pick-up latency: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pickup, error) {
		var (
			p        pickup
			p50, p99 int64
		)
		err := row.Scan(&p.kind, &p.jobs, &p50, &p99)
		p.p50, p.p99 = time.Duration(p50)*time.Microsecond, time.Duration(p99)*time.Microsecond
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read job pick-up latency: %w", err)
	}
	return ps, nil
}
