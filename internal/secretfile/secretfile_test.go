package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestModes(t *testing.T) {
	a := Current()
	a.GID = os.Getegid() // files below are created with the process's group
	for mode, want := range map[os.FileMode]string{
		0o600: "", 0o640: "", 0o400: "", 0o440: "",
		0o644: "every user", 0o604: "every user", 0o602: "every user", 0o601: "every user",
		0o660: "group change it", 0o620: "group change it",
		0o700: "never executable", 0o740: "never executable",
	} {
		err := Check(write(t, mode), a)
		if want == "" {
			if err != nil {
				t.Errorf("mode %04o refused: %v", mode, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "run: ch") {
			t.Errorf("mode %04o: %v, want a refusal saying %q and the command to fix it", mode, err, want)
		}
	}
	if err := Check(t.TempDir(), a); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if err := Check(filepath.Join(t.TempDir(), "missing"), a); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// Ownership needs chown, which only root may do; CI runs the tests as root.
func TestOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	service := Account{Name: "svc", UID: 4242, GID: 4343, Groups: []int{4343}, GroupName: "svcgrp"}
	for _, tc := range []struct {
		name      string
		uid, gid  int
		mode      os.FileMode
		wantError string
	}{
		{"service user 0600", 4242, 4343, 0o600, ""},
		{"service user 0640 own group", 4242, 4343, 0o640, ""},
		{"service user 0640 other group", 4242, 50, 0o640, "not the service's group"},
		{"root:tunduk 0640", 0, 4343, 0o640, ""},
		{"root:tunduk 0600 unreadable", 0, 4343, 0o600, "cannot read it"},
		{"root:root 0600", 0, 0, 0o600, "not the service's group"},
		{"someone else", 1234, 4343, 0o640, "neither the service user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.mode)
			if err := os.Chown(p, tc.uid, tc.gid); err != nil {
				t.Fatal(err)
			}
			_, err := Read(p, service, 1<<10)
			if tc.wantError == "" && err != nil {
				t.Errorf("refused: %v", err)
			}
			if tc.wantError != "" && (err == nil || !strings.Contains(err.Error(), tc.wantError)) {
				t.Errorf("err = %v, want %q", err, tc.wantError)
			}
		})
	}
}

func TestReadBoundsSize(t *testing.T) {
	p := write(t, 0o600)
	if b, err := Read(p, Current(), 6); err != nil || string(b) != "s3cret" {
		t.Errorf("Read = %q, %v", b, err)
	}
	if _, err := Read(p, Current(), 5); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file read: %v", err)
	}
}
