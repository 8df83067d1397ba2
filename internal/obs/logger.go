package obs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Log formats accepted by NewLogger and ParseFormat.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// NewLogger returns a logger writing to w in format (FormatJSON or FormatText; anything
// else gets JSON, the production format: validate configuration with ParseFormat first) for
// records at level and above. Its handler adds a request_id attribute, at the top level
// even inside groups, to every record logged with a context that carries one (see
// RequestID). Callers must therefore use the *Context methods (InfoContext, LogAttrs, …):
// records logged with Info, Warn etc. have no context and so no request id.
func NewLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == FormatText {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(newRequestIDHandler(h))
}

// ParseFormat returns the log format named by s ("json" or "text", case and surrounding
// space ignored) or an error naming the bad value.
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case FormatJSON, FormatText:
		return f, nil
	default:
		return "", fmt.Errorf("parse log format %q: want %q or %q", s, FormatJSON, FormatText)
	}
}

// ParseLevel returns the slog level named by s: debug, info, warn (or warning) or error,
// case and surrounding space ignored, optionally with an offset as slog writes it
// ("info+2"). It returns an error naming the bad value otherwise.
func ParseLevel(s string) (slog.Level, error) {
	name := strings.TrimSpace(s)
	if strings.EqualFold(name, "warning") {
		name = "warn"
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return 0, fmt.Errorf("parse log level %q: want debug, info, warn or error", s)
	}
	return level, nil
}

// requestIDHandler wraps a slog.Handler and adds the request id of the record's context.
//
// Attributes added with r.AddAttrs land in the innermost open group, so once WithGroup has
// been called the handler keeps base (the wrapped handler before the first group) and the
// later steps, and for a record with a request id rebuilds base.WithAttrs(request_id)
// followed by those steps. That costs an allocation per such record, only for grouped
// loggers.
type requestIDHandler struct {
	base  slog.Handler // wrapped handler before the first WithGroup
	inner slog.Handler // base with steps applied; handles records without a request id
	steps []handlerStep
}

// handlerStep is one WithGroup or WithAttrs call made after the first WithGroup.
type handlerStep struct {
	group string
	attrs []slog.Attr
}

func newRequestIDHandler(h slog.Handler) *requestIDHandler {
	return &requestIDHandler{base: h, inner: h}
}

// Enabled implements slog.Handler.
func (h *requestIDHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle implements slog.Handler.
func (h *requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	id := RequestID(ctx)
	if id == "" {
		return h.inner.Handle(ctx, r)
	}
	attr := slog.String("request_id", id)
	if len(h.steps) == 0 {
		r = r.Clone()
		r.AddAttrs(attr)
		return h.inner.Handle(ctx, r)
	}
	out := h.base.WithAttrs([]slog.Attr{attr})
	for _, s := range h.steps {
		if s.group != "" {
			out = out.WithGroup(s.group)
		} else {
			out = out.WithAttrs(s.attrs)
		}
	}
	return out.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if len(h.steps) == 0 {
		inner := h.inner.WithAttrs(attrs)
		return &requestIDHandler{base: inner, inner: inner}
	}
	return h.with(handlerStep{attrs: attrs}, h.inner.WithAttrs(attrs))
}

// WithGroup implements slog.Handler.
func (h *requestIDHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(handlerStep{group: name}, h.inner.WithGroup(name))
}

// with returns a handler with step appended and inner as its handler for plain records.
func (h *requestIDHandler) with(step handlerStep, inner slog.Handler) *requestIDHandler {
	steps := make([]handlerStep, len(h.steps), len(h.steps)+1)
	copy(steps, h.steps)
	return &requestIDHandler{base: h.base, inner: inner, steps: append(steps, step)}
}
