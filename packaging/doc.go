// Package packaging holds the Debian packaging of tunduk (nfpm.yaml,
// maintainer scripts, sysusers.d and tmpfiles.d) and its tests: deb_test.go
// builds the package with `make deb`, checks it with lintian and dpkg-deb,
// unpacks it into a throwaway root and checks files, modes, conffiles, the
// service user and directories, and the systemd units; guide_test.go runs
// the README's host installation guide against the package. There is no
// Go API here.
package packaging
