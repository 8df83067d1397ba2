package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// client sends GraphQL requests to the target over one keep-alive connection pool.
type client struct {
	target
	http *http.Client
}

func newClient(t target, conns int) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * conns
	tr.MaxIdleConnsPerHost = 2 * conns
	return &client{target: t, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// gqlAnswer is the part of a GraphQL answer the benchmark checks.
type gqlAnswer struct {
	Errors []struct {
		Message    string
		Extensions struct{ Code string }
	}
	Data map[string]json.RawMessage
}

// do sends one operation, with the operator token when operator is set, and returns its data.
// buf is reused between calls of one goroutine.
func (c *client) do(ctx context.Context, operator bool, query string, vars map[string]any,
	buf *bytes.Buffer,
) (map[string]json.RawMessage, error) {
	token := ""
	if operator {
		token = c.token
	}
	return c.doAs(ctx, token, query, vars, buf)
}

// doAs sends one operation with token ("" for none) and returns its data. An HTTP status other
// than 200, any GraphQL error and a null top-level field are errors.
func (c *client) doAs(ctx context.Context, token, query string, vars map[string]any,
	buf *bytes.Buffer,
) (map[string]json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql",
		bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post /graphql: %w", err)
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, buf.Bytes())
	}
	var ans gqlAnswer
	if err := json.Unmarshal(buf.Bytes(), &ans); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if len(ans.Errors) > 0 {
		e := ans.Errors[0]
		return nil, fmt.Errorf("%s: %s", e.Extensions.Code, e.Message)
	}
	for name, v := range ans.Data {
		if string(v) == "null" {
			return nil, fmt.Errorf("data.%s is null", name)
		}
	}
	return ans.Data, nil
}

// result is what one scenario measured.
type result struct {
	sc        *scenario
	requests  int             // completed requests started in the measured window
	errors    int             // error answers, warm-up included
	samples   []string        // a few error messages
	elapsed   time.Duration   // measured window, up to the last answer
	latencies []time.Duration // of the measured requests, sorted
	mem       memory          // server memory after the scenario
	memKnown  bool
	cpu       cpuUse     // cores busy during the scenario, warm-up included
	drain     drain      // the job queue after the scenario
	flow      *flowStats // the onboarding flow's own numbers; nil for other scenarios
	conns     int        // concurrent workers
	from, to  time.Time  // when the scenario started (warm-up included) and ended
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) p50() time.Duration { return percentile(r.latencies, 50) }

func (r result) p99() time.Duration { return percentile(r.latencies, 99) }

// drive runs sc on conns workers in a closed loop: a warm-up whose latencies are dropped, then
// duration measured. Requests cut short by ctx are not counted as errors.
func (c *client) drive(ctx context.Context, sc *scenario, ids []string,
	warmup, duration time.Duration, conns int,
) result {
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	var (
		mu  sync.Mutex
		res = result{sc: sc, from: start, conns: conns}
		wg  sync.WaitGroup
	)
	for n := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{n: n, rng: rand.New(rand.NewPCG(uint64(n), uint64(start.UnixNano()))),
				ids: ids}
			lat, errs, samples := c.loop(ctx, sc, w, measureFrom, end)
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			res.samples = append(res.samples, samples...)
		}()
	}
	wg.Wait()
	res.to = time.Now()
	res.elapsed = res.to.Sub(measureFrom)
	res.requests = len(res.latencies)
	slices.Sort(res.latencies)
	if len(res.samples) > 5 {
		res.samples = res.samples[:5]
	}
	return res
}

// loop is one worker: requests back to back until end.
func (c *client) loop(ctx context.Context, sc *scenario, w *worker, measureFrom, end time.Time,
) (lat []time.Duration, errs int, samples []string) {
	var buf bytes.Buffer
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(end) {
			break
		}
		_, err := c.do(ctx, sc.operator, sc.query, sc.vars(w), &buf)
		w.seq++
		d := time.Since(t0)
		if err != nil && !errors.Is(err, context.Canceled) {
			errs++
			if len(samples) < 2 {
				samples = append(samples, err.Error())
			}
		}
		if !t0.Before(measureFrom) {
			lat = append(lat, d)
		}
	}
	return lat, errs, samples
}

// get fetches path with the operator token and no time limit other than ctx's; the caller
// closes the body.
func (c *client) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	return resp, nil
}

// discard discards the rest of r; used where an answer body is not needed.
func discard(r io.Reader) { _, _ = io.Copy(io.Discard, r) }
