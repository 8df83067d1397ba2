package pgembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// createdUser is the system user made for the server when the machine has no postgres user.
const createdUser = "tenantd"

// account is the unprivileged user the server runs as when tenantd runs as root. A nil
// *account means "run as the current user".
type account struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32
}

// serverAccount returns nil unless the process is root. As root it prefers the owner of an
// existing cluster, then the postgres system user, then a tenantd system user it creates.
func serverAccount(
	ctx context.Context, clusterDir string, known bool, logger *slog.Logger,
) (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if known {
		var st syscall.Stat_t
		if err := syscall.Stat(clusterDir, &st); err == nil && st.Uid != 0 {
			u, err := user.LookupId(strconv.Itoa(int(st.Uid)))
			if err != nil {
				return nil, fmt.Errorf("look up owner %d of %s: %w", st.Uid, clusterDir, err)
			}
			return newAccount(u)
		}
	}
	for _, name := range []string{"postgres", createdUser} {
		if u, err := user.Lookup(name); err == nil {
			return newAccount(u)
		}
	}

	logger.InfoContext(ctx, "creating system user for postgres", slog.String("user", createdUser))
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--user-group",
		"--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
		createdUser).CombinedOutput()
	u, lookupErr := user.Lookup(createdUser) // another process may have created it meanwhile
	if lookupErr != nil {
		return nil, fmt.Errorf("create system user %q (PostgreSQL does not run as root): %w: %s",
			createdUser, errors.Join(err, lookupErr), out)
	}
	return newAccount(u)
}

func newAccount(u *user.User) (*account, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse uid of user %q: %w", u.Username, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("user %q has uid 0; PostgreSQL does not run as root", u.Username)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse gid of user %q: %w", u.Username, err)
	}
	a := &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}
	ids, _ := u.GroupIds()
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			a.groups = append(a.groups, uint32(g))
		}
	}
	return a, nil
}

// credential returns the process credential to run a child as a, or nil for the current user.
func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}
}

// chown gives paths to a; it does nothing for the current user.
func (a *account) chown(paths ...string) error {
	if a == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(a.uid), int(a.gid)); err != nil {
			return fmt.Errorf("give %s to user %s: %w", p, a.name, err)
		}
	}
	return nil
}

// canTraverse reports whether a may search dir and every folder above it, judged by the mode
// bits (ACLs are not consulted).
func (a *account) canTraverse(dir string) (bool, error) {
	for d := dir; ; d = filepath.Dir(d) {
		var st syscall.Stat_t
		if err := syscall.Stat(d, &st); err != nil {
			return false, fmt.Errorf("check access to %s: %w", d, err)
		}
		if !a.mayExecute(st) {
			return false, nil
		}
		if d == filepath.Dir(d) {
			return true, nil
		}
	}
}

func (a *account) mayExecute(st syscall.Stat_t) bool {
	switch {
	case st.Uid == a.uid:
		return st.Mode&0o100 != 0
	case a.inGroup(st.Gid):
		return st.Mode&0o010 != 0
	default:
		return st.Mode&0o001 != 0
	}
}

func (a *account) inGroup(gid uint32) bool {
	if gid == a.gid {
		return true
	}
	for _, g := range a.groups {
		if g == gid {
			return true
		}
	}
	return false
}
