package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a PostgreSQL server the test owns, so it may stop and restart
// it (the shared test server must stay up for everyone else). It is a real
// server from the installed binaries (initdb, pg_ctl), run as the postgres
// user when the test runs as root, since initdb refuses root.
type Cluster struct {
	t       testing.TB
	bin     string
	dir     string // data directory
	logFile string
	port    int
	asUser  string // "" or "postgres"
}

// NewCluster initialises and starts a cluster on a free port of
// 127.0.0.1; it is stopped and removed when the test ends. It skips (fails
// under TUNDUK_REQUIRE_TOOLS=1) without the PostgreSQL server binaries.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		msg := "no /usr/lib/postgresql/*/bin/pg_ctl; install the postgresql package (as .ci/run does)"
		if os.Getenv("TUNDUK_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c := &Cluster{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	root, err := os.MkdirTemp("", "tunduk-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	c.dir, c.logFile = filepath.Join(root, "data"), filepath.Join(root, "postgres.log")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root needs the postgres user (initdb refuses root): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.asUser = "postgres"
		if err := os.Chmod(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if out, err := c.command("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 50\nshared_buffers = 32MB\n", c.port, root)
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.Start()
	t.Cleanup(func() { _ = c.command("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop").Run() })
	return c
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// URL is the postgres database's connection string.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	if out, err := c.command("pg_ctl", "-D", c.dir, "-l", c.logFile, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(c.logFile)
		c.t.Fatalf("pgtest: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.URL())
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("pgtest: server did not accept connections: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server with the given pg_ctl mode: "fast" ends every
// session and shuts down cleanly; "immediate" is a crash (recovery from
// WAL at the next start).
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	if out, err := c.command("pg_ctl", "-D", c.dir, "-m", mode, "-w", "stop").CombinedOutput(); err != nil {
		c.t.Fatalf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
}
