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
