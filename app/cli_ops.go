package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"borderflow/models"
)

// healthcheckTimeout is how long healthcheck waits for an answer.
const healthcheckTimeout = 3 * time.Second

// version prints the version stamped in at build time, the Go version and
// the schema version this binary migrates to.
func (cli CLI) version(args []string) error {
	fs := cli.flagSet("version", "version\n\nPrints borderflow's version (\"dev\" when the build was not stamped), the Go version\nit was built with and the database schema version it carries.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	v := cli.Version
	if v == "" {
		v = "dev"
	}
	fmt.Fprintf(cli.Stdout, "borderflow version %s\ngo version %s %s/%s\nschema version %d\n",
		v, runtime.Version(), runtime.GOOS, runtime.GOARCH, models.SchemaVersion())
	return nil
}

// healthcheck asks a running server whether it is ready, for container
// health checks in an image that has no shell or curl.
func (cli CLI) healthcheck(ctx context.Context, args []string) error {
	fs := cli.flagSet("healthcheck", "healthcheck [--url URL]\n\nExits 0 when URL answers 200 within 3 s, else 1 with the reason. The default URL is\n/readyz on 127.0.0.1 at the port of BORDERFLOW_ADDR (8080), which answers 200 only\nwhile the database is reachable and its schema current.")
	target := fs.String("url", "", "the address to ask (default http://127.0.0.1:PORT/readyz, PORT from BORDERFLOW_ADDR)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	url := *target
	if url == "" {
		url = readyzURL(cli.Getenv("BORDERFLOW_ADDR"))
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usagef("--url %q is not a URL", url)
	}
	resp, err := http.DefaultClient.Do(req)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the server at %s did not answer within %s", url, healthcheckTimeout)
	case err != nil:
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			err = opErr.Err
		}
		return fmt.Errorf("the server at %s cannot be reached: %s", url, firstLine(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode != http.StatusOK {
		// /readyz says why in one line of plain text.
		reason := ""
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			if line := strings.TrimSpace(strings.SplitN(string(body), "\n", 2)[0]); line != "" {
				reason = " (" + line + ")"
			}
		}
		return fmt.Errorf("the server at %s answered %s%s", url, resp.Status, reason)
	}
	fmt.Fprintf(cli.Stdout, "The server at %s answered %s.\n", url, resp.Status)
	return nil
}

// readyzURL is /readyz on the loopback address at the port of addr.
func readyzURL(addr string) string {
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", "8080"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

// backup writes a consistent copy of the embedded database, while it serves.
func (cli CLI) backup(ctx context.Context, args []string) error {
	fs := cli.flagSet("backup", "backup FILE [--force]\n\n"+
		"Writes a consistent copy of the embedded database to FILE, also while borderflow\n"+
		"serves and writes to it. The copy is checked with PRAGMA integrity_check before it is\n"+
		"put in place; an existing FILE is refused unless --force. To restore, stop borderflow\n"+
		"and put the copy in place of borderflow.db. PostgreSQL is backed up with pg_dump\n"+
		"(see docs/OPERATIONS.md).")
	force := fs.Bool("force", false, "replace FILE if it exists")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch len(positional) {
	case 0:
		return usagef("backup needs the file to write: backup FILE")
	case 1:
	default:
		return usagef("unexpected argument %q", positional[1])
	}
	path := positional[0]
	cfg, err := LoadConfig(cli.Getenv)
	if err != nil {
		return err
	}
	if cfg.Database.Dialect == models.DialectPostgres {
		return errors.New(`borderflow backup copies the embedded database only; back up PostgreSQL with pg_dump, e.g. pg_dump --format=custom --file=borderflow.dump "$BORDERFLOW_DATABASE_URL"`)
	}
	if err := requireFile(cfg.Database.Path); err != nil {
		return err
	}
	_, h, err := cli.openDatabase(ctx, false)
	if err != nil {
		return err
	}
	defer h.close()
	state, err := models.SchemaVersions(ctx, h.db)
	if err != nil {
		return err
	}
	result, err := models.BackupEmbedded(ctx, h.db, path, *force)
	if errors.Is(err, models.ErrBackupExists) {
		return fmt.Errorf("%s already exists and was left as it was; choose another name, or add --force to replace it", path)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "Backed up the %s to %s: %.1f MB at schema version %d, integrity checked.\n",
		cfg.Database, result.Path, float64(result.Bytes)/1e6, state.Current)
	return nil
}

// requireFile refuses an embedded database that does not exist yet, which
// opening it would create empty.
func requireFile(path string) error {
	info, err := os.Stat(path)
	if err != nil || info.IsDir() {
		return fmt.Errorf("there is no embedded database at %s; set BORDERFLOW_DATA_DIR, or BORDERFLOW_DATABASE_URL=sqlite:PATH, to the one you mean", path)
	}
	return nil
}

// migrateData copies the embedded database into an empty PostgreSQL.
func (cli CLI) migrateData(ctx context.Context, args []string) error {
	fs := cli.flagSet("migrate-data", "migrate-data --to postgres://USER:PASSWORD@HOST:5432/DB\n\n"+
		"Copies everything from the configured embedded database into an empty PostgreSQL\n"+
		"database, migrating it first: every table in one transaction, ids kept, sequences\n"+
		"reset, committed only when each table's row count and checksum equal the\n"+
		"original's. A database that already holds records is refused. Stop borderflow serve\n"+
		"first; the embedded database is left as it was.")
	to := fs.String("to", "", "URL of the PostgreSQL database to copy into")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return usagef("migrate-data needs --to postgres://USER:PASSWORD@HOST:5432/DB")
	}
	target, err := models.ResolveDatabase(*to, "")
	if err != nil || target.Dialect != models.DialectPostgres {
		return usagef("--to must be a postgres://USER:PASSWORD@HOST:5432/DB URL")
	}
	cfg, err := LoadConfig(cli.Getenv)
	if err != nil {
		return err
	}
	if cfg.Database.Dialect != models.DialectSQLite {
		return errors.New("migrate-data copies from the embedded database, but BORDERFLOW_DATABASE_URL names PostgreSQL; unset it, or set it to sqlite:PATH")
	}
	if err := requireFile(cfg.Database.Path); err != nil {
		return err
	}
	// A server writing meanwhile would lose its writes: take the serving lock.
	lock, err := models.LockEmbedded(cfg.Database.Path)
	if err != nil {
		return err
	}
	defer lock.Release()
	_, src, err := cli.openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer src.close()
	dst, err := models.Open(ctx, target, nil)
	if err != nil {
		return err
	}
	defer models.Close(dst)
	if err := models.Migrate(ctx, dst, nil); err != nil {
		return err
	}
	report, err := models.CopyToPostgres(ctx, src.db, dst)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(cli.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TABLE\tROWS")
	for _, t := range report.Tables {
		fmt.Fprintf(w, "%s\t%d\n", t.Table, t.Rows)
	}
	_ = w.Flush()
	fmt.Fprintf(cli.Stdout, "Copied %d rows in %d tables from the %s to %s; every table's row count and checksum match.\n",
		report.Rows(), len(report.Tables), cfg.Database, target)
	fmt.Fprintln(cli.Stdout, "Set BORDERFLOW_DATABASE_URL to that database and start borderflow serve; the embedded database is unchanged.")
	return nil
}
