package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/mail/mailtest"
)

// lockedBuffer lets concurrent log writes share one buffer.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(line, &rec))
		out = append(out, rec)
	}
	return out
}

func TestFileSenderWritesEMLAndLogsLink(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "mail")
	var logs lockedBuffer
	sender, err := New(Config{Dir: dir}, slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, err)
	info, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	require.NoError(t, sender.Send(t.Context(), verificationMessage(t, "Jane")))

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	name := entries[0].Name()
	require.Regexp(t, regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{12}\.eml$`), name)
	fi, err := entries[0].Info()
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	raw, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	p := mailtest.Parse(t, raw)
	require.Equal(t, "Confirm your email address for tenantd", p.Subject)
	require.Contains(t, p.Header.Get("From"), DefaultFrom[len("tenantd <"):len(DefaultFrom)-1])
	require.Contains(t, p.Text, testLink)
	require.NotEmpty(t, p.Header.Get("Message-ID"))

	recs := logs.lines(t)
	require.Len(t, recs, 1)
	require.Equal(t, "INFO", recs[0]["level"])
	require.Equal(t, "email written", recs[0]["msg"])
	require.Equal(t, filepath.Join(dir, name), recs[0]["path"])
	require.Equal(t, "jane.doe@acme.example", recs[0]["to"])
	require.Equal(t, testLink, recs[0]["link"])
}

func TestFileSenderConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs lockedBuffer
	sender, err := New(Config{Dir: dir}, slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, err)
	msg := verificationMessage(t, "Jane")

	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = sender.Send(t.Context(), msg) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, n, "no file overwrote another")
	require.Len(t, logs.lines(t), n)
}

func TestFileSenderCancelledContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sender, err := New(Config{Dir: dir}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	require.ErrorIs(t, sender.Send(ctx, verificationMessage(t, "Jane")), context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}
