package pgembed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

const (
	clusterDirName = "postgres"
	markerName     = "postgres.location"
	lockName       = "postgres.lock"
)

// binaries are the absolute paths of the PostgreSQL server programs.
type binaries struct {
	initdb   string
	postgres string
}

// findBinaries looks for initdb and postgres on PATH, then in the newest
// /usr/lib/postgresql/<major>/bin (Debian and Ubuntu keep them off PATH).
func findBinaries() (binaries, error) {
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return binaries{initdb: initdb, postgres: postgres}, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, dir := range dirs {
		b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			return b, nil
		}
	}
	return binaries{}, errors.New("find PostgreSQL server binaries: initdb and postgres are " +
		"neither on PATH nor in /usr/lib/postgresql/<version>/bin; install the PostgreSQL " +
		"server package or set DATABASE_URL")
}

func majorOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// lockDataDir takes an exclusive lock on DataDir/postgres.lock, held until the returned file
// is closed, so two tenantd processes never run the same cluster.
func lockDataDir(dataDir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dataDir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another process holds %s (is a second tenantd running "+
				"on this data folder?)", ErrAlreadyRunning, f.Name())
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return f, nil
}

// existingCluster returns where a previous run kept the cluster: the place recorded in the
// marker file, or DataDir/postgres when that exists. known is false on a first run.
func existingCluster(dataDir string) (dir string, known bool, err error) {
	data, err := os.ReadFile(filepath.Join(dataDir, markerName))
	switch {
	case err == nil:
		dir = strings.TrimSpace(string(data))
		if !filepath.IsAbs(dir) {
			return "", false, fmt.Errorf("read %s: %q is not an absolute path", markerName, dir)
		}
		return dir, true, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", false, fmt.Errorf("read %s: %w", markerName, err)
	}
	dir = filepath.Join(dataDir, clusterDirName)
	if _, err := os.Stat(dir); err == nil {
		return dir, true, nil
	}
	return dir, false, nil
}

// chooseClusterDir picks the folder of a new cluster: DataDir/postgres, or a folder under
// /var/lib/tenantd when the server account cannot traverse the path to DataDir.
func chooseClusterDir(opts Options, acct *account) (string, error) {
	dir := filepath.Join(opts.DataDir, clusterDirName)
	if acct == nil {
		return dir, nil
	}
	ok, err := acct.canTraverse(opts.DataDir)
	if err != nil {
		return "", err
	}
	if ok {
		return dir, nil
	}
	sum := sha256.Sum256([]byte(opts.DataDir))
	dir = filepath.Join(opts.fallbackRoot, "pg-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(opts.fallbackRoot, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", opts.fallbackRoot, err)
	}
	marker := filepath.Join(opts.DataDir, markerName)
	if err := os.WriteFile(marker, []byte(dir+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", marker, err)
	}
	opts.Logger.Warn("postgres cluster kept outside the data folder because user "+
		acct.name+" cannot reach it", slog.String("data_dir", opts.DataDir),
		slog.String("cluster", dir), slog.String("marker", marker))
	return dir, nil
}

// ensureCluster runs initdb when clusterDir holds no cluster yet. initdb writes into a
// sibling folder that is renamed into place on success, so a killed first run leaves nothing
// half-made behind.
func ensureCluster(
	ctx context.Context, clusterDir string, bins binaries, acct *account, logger *slog.Logger,
) error {
	if _, err := os.Stat(filepath.Join(clusterDir, "PG_VERSION")); err == nil {
		return nil
	}
	if entries, err := os.ReadDir(clusterDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("folder %s is not empty but holds no PostgreSQL cluster; move it away",
			clusterDir)
	}
	tmp := clusterDir + ".initdb"
	pwfile := clusterDir + ".pwfile"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove leftover %s: %w", tmp, err)
	}
	defer os.RemoveAll(tmp)
	defer os.Remove(pwfile)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("create cluster folder: %w", err)
	}
	password := rand.Text()
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write initdb password file: %w", err)
	}
	if err := acct.chown(tmp, pwfile); err != nil {
		return err
	}

	logger.InfoContext(ctx, "creating postgres cluster", slog.String("cluster", clusterDir))
	cmd := exec.CommandContext(ctx, bins.initdb, "-D", tmp, "-U", superuser, "-E", "UTF8",
		"--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwfile)
	cmd.Dir = tmp
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acct.credential()}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("run initdb: %w:\n%s", err, out)
	}

	if err := writePassword(clusterDir, password); err != nil {
		return err
	}
	_ = os.Remove(clusterDir) // an empty folder left by an earlier attempt
	if err := os.Rename(tmp, clusterDir); err != nil {
		return fmt.Errorf("move new cluster into place: %w", err)
	}
	return nil
}

// passwordPath is where the superuser's TCP password is kept: next to the cluster, readable
// only by tenantd's own user.
func passwordPath(clusterDir string) string {
	return clusterDir + ".password"
}

func writePassword(clusterDir, password string) error {
	if err := os.WriteFile(passwordPath(clusterDir), []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	return nil
}

func readPassword(clusterDir string) (string, error) {
	data, err := os.ReadFile(passwordPath(clusterDir))
	if err != nil {
		return "", fmt.Errorf("read password of cluster %s: %w", clusterDir, err)
	}
	password := strings.TrimSpace(string(data))
	if password == "" {
		return "", fmt.Errorf("read password of cluster %s: file is empty", clusterDir)
	}
	return password, nil
}
