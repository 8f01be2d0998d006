// Package secretfile holds tunduk's one rule for files that hold secrets —
// API keys, TLS private keys, softkms signing keys, token PINs, the archive
// encryption key — so that the daemon, `tunduk config check` and the key
// backend refuse the same files with the same words:
//
//   - mode 0600 or 0640 (or stricter: 0400, 0440): never accessible to
//     others, never writable by the group;
//   - owned by the service user, or by root with the service's group
//     (tunduk), the way a package installs /etc/tunduk;
//   - when the group may read it, that group is the service's group;
//   - and the service user can actually read it.
//
// The package is internal: the rule is tunduk's packaging decision.
package secretfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"slices"
	"strconv"
	"syscall"
)

// ServiceName is the user and group tunduk runs as when installed from
// its package.
const ServiceName = "tunduk"

// Account is who reads the secrets: the service user, its groups, and the
// service's group that root-owned secrets are shared with.
type Account struct {
	Name      string
	UID       int
	GID       int   // the service's group (tunduk), which may read 0640 files
	Groups    []int // every group the user is in, the service group included
	GroupName string
}

// Current is the account of the running process, with the tunduk group
// when one exists (else the process's own group).
func Current() Account {
	a := Account{UID: os.Geteuid(), GID: os.Getegid(), GroupName: strconv.Itoa(os.Getegid())}
	if u, err := user.LookupId(strconv.Itoa(a.UID)); err == nil {
		a.Name = u.Username
	} else {
		a.Name = strconv.Itoa(a.UID)
	}
	if g, err := user.LookupGroupId(a.GroupName); err == nil {
		a.GroupName = g.Name
	}
	a.Groups, _ = os.Getgroups()
	a.Groups = append(a.Groups, a.GID)
	if g, err := user.LookupGroup(ServiceName); err == nil {
		if gid, err := strconv.Atoi(g.Gid); err == nil {
			a.GID, a.GroupName = gid, g.Name
		}
	}
	return a
}

// Lookup is the account of a named user (the service user, as seen by
// `tunduk config check` run as root or by an operator) and the named
// group. An empty group means the user's primary group.
func Lookup(userName, groupName string) (Account, error) {
	u, err := user.Lookup(userName)
	if err != nil {
		return Account{}, fmt.Errorf("secretfile: user %q: %w", userName, err)
	}
	a := Account{Name: u.Username}
	if a.UID, err = strconv.Atoi(u.Uid); err != nil {
		return Account{}, fmt.Errorf("secretfile: user %q has a non-numeric uid %q", userName, u.Uid)
	}
	if a.GID, err = strconv.Atoi(u.Gid); err != nil {
		return Account{}, fmt.Errorf("secretfile: user %q has a non-numeric gid %q", userName, u.Gid)
	}
	a.GroupName = u.Gid
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		a.GroupName = g.Name
	}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if n, err := strconv.Atoi(id); err == nil {
				a.Groups = append(a.Groups, n)
			}
		}
	}
	a.Groups = append(a.Groups, a.GID)
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			return Account{}, fmt.Errorf("secretfile: group %q: %w", groupName, err)
		}
		if a.GID, err = strconv.Atoi(g.Gid); err != nil {
			return Account{}, fmt.Errorf("secretfile: group %q has a non-numeric gid %q", groupName, g.Gid)
		}
		a.GroupName = g.Name
	}
	return a, nil
}

// Error is a secret file the rule refuses: what is wrong and the command
// that fixes it.
type Error struct {
	Path   string
	Mode   fs.FileMode
	Reason string // what is wrong
	Fix    string // what to do
}

func (e *Error) Error() string {
	return fmt.Sprintf("secret file %s: %s; %s", e.Path, e.Reason, e.Fix)
}

// ErrRefused matches every *Error with errors.Is.
var ErrRefused = errors.New("secret file refused")

// Is makes errors.Is(err, ErrRefused) true.
func (e *Error) Is(target error) bool { return target == ErrRefused }

// Check applies the rule to the file at path for account a.
func Check(path string, a Account) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return CheckInfo(path, fi, a)
}

// CheckInfo applies the rule to a file already stat'ed (or opened: pass
// f.Stat(), so the file checked is the file read).
func CheckInfo(path string, fi fs.FileInfo, a Account) error {
	mode := fi.Mode()
	fix := func(reason, fix string) error {
		return &Error{Path: path, Mode: mode, Reason: reason, Fix: fix}
	}
	if !mode.IsRegular() {
		return fix("not a regular file", "point the configuration at the file itself")
	}
	perm := mode.Perm()
	ownedBy := fmt.Sprintf("chown %s:%s %s && chmod 600 %s (or chown root:%s and chmod 640)", a.Name, a.GroupName, path, path, a.GroupName)
	switch {
	case perm&0o007 != 0:
		return fix(fmt.Sprintf("mode %04o lets every user on the host at it", perm), "run: chmod 600 "+path+" (or 640 for root:"+a.GroupName+")")
	case perm&0o020 != 0:
		return fix(fmt.Sprintf("mode %04o lets the group change it", perm), "run: chmod 640 "+path)
	case perm&^0o640 != 0:
		return fix(fmt.Sprintf("mode %04o; a secret is 0600 or 0640, never executable", perm), "run: chmod 600 "+path)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // no owner to check on this platform
	}
	uid, gid := int(st.Uid), int(st.Gid)
	switch {
	case uid == a.UID:
	case uid == 0 && gid == a.GID:
	case uid == 0:
		return fix(fmt.Sprintf("owned by root with group %d, not the service's group %s", gid, a.GroupName), "run: chgrp "+a.GroupName+" "+path+" && chmod 640 "+path)
	default:
		return fix(fmt.Sprintf("owned by uid %d, neither the service user %s nor root", uid, a.Name), "run: "+ownedBy)
	}
	if perm&0o040 != 0 && gid != a.GID {
		return fix(fmt.Sprintf("mode %04o lets group %d read it, which is not the service's group %s", perm, gid, a.GroupName), "run: chgrp "+a.GroupName+" "+path+" or chmod 600 "+path)
	}
	if !Readable(fi, a) {
		return fix(fmt.Sprintf("the service user %s cannot read it (mode %04o, owner uid %d, group %d)", a.Name, perm, uid, gid), "run: chmod 640 "+path+" with group "+a.GroupName+", or chown "+a.Name+" "+path)
	}
	return nil
}

// Readable reports whether account a may read the file by its mode bits
// (root reads everything). It does not look at the directories above.
func Readable(fi fs.FileInfo, a Account) bool { return Allows(fi, a, 0o4) }

// Allows reports whether account a has the permission bits want (0o4
// read, 0o2 write, 0o1 execute or search, or a sum) on fi by its owner,
// group and mode; root has them all.
func Allows(fi fs.FileInfo, a Account, want fs.FileMode) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || a.UID == 0 {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == a.UID:
		return perm&(want<<6) == want<<6
	case int(st.Gid) == a.GID || slices.Contains(a.Groups, int(st.Gid)):
		return perm&(want<<3) == want<<3
	}
	return perm&want == want
}

// Read opens the file, applies the rule to what was opened and reads at
// most max bytes.
func Read(path string, a Account, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := CheckInfo(path, fi, a); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes; is it the right file?", path, max)
	}
	return b, nil
}
