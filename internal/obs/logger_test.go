package obs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonLines decodes every line of buf as a JSON object.
func jsonLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "line %q", line)
		out = append(out, m)
	}
	return out
}

func TestParseLevel(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{in: "debug", want: slog.LevelDebug},
		{in: "INFO", want: slog.LevelInfo},
		{in: " warn ", want: slog.LevelWarn},
		{in: "Warning", want: slog.LevelWarn},
		{in: "error", want: slog.LevelError},
		{in: "info+2", want: slog.LevelInfo + 2},
		{in: "", wantErr: true},
		{in: "verbose", wantErr: true},
		{in: "3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLevel(tt.in)
			if tt.wantErr {
				require.ErrorContains(t, err, "parse log level")
				require.ErrorContains(t, err, tt.in)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "json", want: FormatJSON},
		{in: " TEXT ", want: FormatText},
		{in: "", wantErr: true},
		{in: "logfmt", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFormat(tt.in)
			if tt.wantErr {
				require.ErrorContains(t, err, `parse log format "`+tt.in+`"`)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestLoggerRequestID(t *testing.T) {
	t.Parallel()

	var buf bytes.Buffer
	logger := NewLogger(&buf, FormatJSON, slog.LevelInfo)
	ctx := WithRequestID(t.Context(), "req-1")

	logger.InfoContext(ctx, "plain", slog.String("k", "v"))
	logger.With(slog.String("component", "jobs")).InfoContext(ctx, "with attrs")
	logger.WithGroup("job").With(slog.Int("attempt", 2)).WithGroup("args").
		InfoContext(ctx, "grouped", slog.String("kind", "email"))
	logger.InfoContext(t.Context(), "no id in context")
	logger.Info("no context")
	logger.DebugContext(ctx, "below level")

	lines := jsonLines(t, &buf)
	require.Len(t, lines, 5)
	for _, l := range lines[:3] {
		require.Equal(t, "req-1", l["request_id"], "line %v", l)
	}
	require.Equal(t, "v", lines[0]["k"])
	require.Equal(t, "jobs", lines[1]["component"])
	require.Equal(t, map[string]any{
		"attempt": float64(2),
		"args":    map[string]any{"kind": "email"},
	}, lines[2]["job"])
	for _, l := range lines[3:] {
		require.NotContains(t, l, "request_id", "line %v", l)
	}
}

func TestLoggerText(t *testing.T) {
	t.Parallel()

	var buf bytes.Buffer
	logger := NewLogger(&buf, FormatText, slog.LevelDebug)

	logger.DebugContext(WithRequestID(t.Context(), "req-2"), "hello")

	out := buf.String()
	require.Contains(t, out, "level=DEBUG")
	require.Contains(t, out, "msg=hello")
	require.Contains(t, out, "request_id=req-2")
	require.NotContains(t, out, "{")
}
