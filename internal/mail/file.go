package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// fileSender is the development sender: it writes each message as a .eml file and logs
// where, together with the message's DevLink, so no mail server is needed to try tenantd.
type fileSender struct {
	dir    string
	from   origin
	logger *slog.Logger
}

func newFileSender(dir string, from origin, logger *slog.Logger) (*fileSender, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create mail dir %q: %w", dir, err)
	}
	return &fileSender{dir: dir, from: from, logger: logger}, nil
}

// Send writes m into a new file <UTC timestamp>-<random>.eml (mode 0600) and logs
// "email written" with the path, the recipient and the DevLink.
func (f *fileSender) Send(ctx context.Context, m Message) error {
	path, err := f.write(ctx, m)
	if err != nil {
		return fmt.Errorf("send mail to %s: %w", m.To, err)
	}
	f.logger.InfoContext(ctx, "email written", slog.String("path", path),
		slog.String("to", m.To), slog.String("link", m.DevLink))
	return nil
}

func (f *fileSender) write(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	msg, err := f.from.build(m)
	if err != nil {
		return "", err
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix) // never fails, see crypto/rand.Read
	name := time.Now().UTC().Format("20060102T150405.000000000Z") + "-" +
		hex.EncodeToString(suffix) + ".eml"
	path := filepath.Join(f.dir, name)

	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create %q: %w", path, err)
	}
	_, err = msg.WriteTo(file)
	err = errors.Join(err, file.Close())
	if err != nil {
		_ = os.Remove(path) // a half-written file would only mislead
		return "", fmt.Errorf("write %q: %w", path, err)
	}
	return path, nil
}
