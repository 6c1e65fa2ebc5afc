package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"gorm.io/gorm"

	"borderflow/jobs"
	"borderflow/models"
)

// Exit statuses of the command line (a contract).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usageText = `borderflow tracks trade across the Pakistan–Afghanistan border crossings.

Usage:
  borderflow [serve] [flags]              serve pages, API and jobs (the default)
  borderflow migrate [up|status]          apply pending migrations, or show the schema version
  borderflow demo [--days N] [--force]    load realistic demo data into the configured database
  borderflow user add --username U --role admin|supervisor|officer [--crossing SLUG]...
                                          create a staff account (password read from stdin when
                                          piped, else generated and printed once)
  borderflow token create --user U [--name NAME]
                                          create an API token that acts as user U; the token
                                          alone is printed on stdout, once
  borderflow import figures|status FILE.csv [--dry-run] [--confirm-implausible]
                                          import a CSV file of daily figures or status changes,
                                          all or nothing; --dry-run checks it and writes nothing
  borderflow jobs list                    show each scheduled job, its schedule, last and next run
  borderflow jobs run NAME [--from YYYY-MM-DD --to YYYY-MM-DD] [--week YYYY-Www]
                                          run a job now, as the scheduler would, and record it
  borderflow export weekly --week 2026-W47 --format csv|xlsx|pdf|json [-o FILE] [--crossing SLUG] [--revision N] [--lang LANG]
                                          write a published weekly summary (publishing the week
                                          first if it never was)
  borderflow backup FILE [--force]        write a consistent copy of the embedded database, also
                                          while it serves (PostgreSQL: use pg_dump)
  borderflow migrate-data --to postgres://USER:PASSWORD@HOST:5432/DB
                                          copy the embedded database into an empty PostgreSQL
  borderflow healthcheck [--url URL]      exit 0 when /readyz answers 200 within 3 s, else 1
  borderflow version                      show the version, Go version and schema version

Run "borderflow COMMAND --help" for a command's flags. Configuration comes from
BORDERFLOW_* environment variables (see "borderflow serve --help").
`

// CLI is the command line's environment: arguments aside, everything a
// command reads or writes, so that tests can run it as a user would.
type CLI struct {
	Getenv  func(string) string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Version string // stamped in at build time; empty reads as "dev"
}

// usageError is a mistake in how a command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Main runs the command in args (without the program name) and returns the
// exit status: 0 on success, 1 on failure, 2 on a usage error. Errors are
// one sentence on stderr.
func (cli CLI) Main(ctx context.Context, args []string) int {
	err := cli.dispatch(ctx, args)
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(cli.Stderr, "borderflow: %s; run borderflow --help for usage.\n", usage.msg)
		return exitUsage
	default:
		fmt.Fprintf(cli.Stderr, "borderflow: %s\n", sentence(err))
		return exitError
	}
}

func (cli CLI) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return cli.serve(ctx, args)
	}
	switch args[0] {
	case "serve":
		return cli.serve(ctx, args[1:])
	case "migrate":
		return cli.migrate(ctx, args[1:])
	case "demo":
		return cli.demo(ctx, args[1:])
	case "user":
		if len(args) < 2 || args[1] != "add" {
			if len(args) >= 2 && (args[1] == "-h" || args[1] == "--help") {
				fmt.Fprint(cli.Stdout, usageText)
				return nil
			}
			return usagef("user needs a subcommand: user add")
		}
		return cli.userAdd(ctx, args[2:])
	case "token":
		if len(args) < 2 || args[1] != "create" {
			if len(args) >= 2 && (args[1] == "-h" || args[1] == "--help") {
				fmt.Fprint(cli.Stdout, usageText)
				return nil
			}
			return usagef("token needs a subcommand: token create")
		}
		return cli.tokenCreate(ctx, args[2:])
	case "import":
		return cli.importCSV(ctx, args[1:])
	case "jobs":
		return cli.jobs(ctx, args[1:])
	case "export":
		return cli.exportWeekly(ctx, args[1:])
	case "backup":
		return cli.backup(ctx, args[1:])
	case "migrate-data":
		return cli.migrateData(ctx, args[1:])
	case "healthcheck":
		return cli.healthcheck(ctx, args[1:])
	case "version":
		return cli.version(args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(cli.Stdout, usageText)
		return nil
	default:
		return usagef("unknown command %q", args[0])
	}
}

// flagSet makes a FlagSet whose --help prints the command's description and
// flags to stdout, and whose errors become usage errors.
func (cli CLI) flagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(cli.Stdout, "Usage: borderflow %s\n\nFlags:\n", synopsis)
		fs.SetOutput(cli.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err // Parse has printed the usage
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func (cli CLI) serve(ctx context.Context, args []string) error {
	fs := cli.flagSet("serve", "[serve] [flags]\n\nServes the status board, pages, API and downloads, and runs the scheduled jobs.\nEach flag overrides its environment variable.")
	load := configFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := load(cli.Getenv)
	if err != nil {
		return err
	}
	cfg.LogOutput, cfg.Stdout = cli.Stderr, cli.Stdout
	// Listen before touching the database, so that a port in use changes nothing.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot listen on %s because the address is in use; set BORDERFLOW_ADDR or --addr to a free one", cfg.Addr)
		}
		return fmt.Errorf("cannot listen on %s: %s", cfg.Addr, firstLine(err))
	}
	a, err := New(ctx, cfg)
	if err != nil {
		_ = ln.Close()
		return err
	}
	return a.Run(ctx, ln)
}

// openDatabase opens and migrates the configured database for a command.
func (cli CLI) openDatabase(ctx context.Context, migrate bool) (Config, *databaseHandle, error) {
	cfg, err := LoadConfig(cli.Getenv)
	if err != nil {
		return Config{}, nil, err
	}
	cfg.LogOutput = cli.Stderr
	log := NewLogger(cfg)
	db, err := models.Open(ctx, cfg.Database, log)
	if err != nil {
		return Config{}, nil, err
	}
	h := &databaseHandle{db: db}
	if migrate {
		if err := models.Migrate(ctx, db, nil); err != nil {
			h.close()
			return Config{}, nil, err
		}
	}
	return cfg, h, nil
}

func (cli CLI) migrate(ctx context.Context, args []string) error {
	fs := cli.flagSet("migrate", "migrate [up|status]\n\nup (the default) applies every pending migration under a lock; status shows each\nmigration and whether it is applied. A database newer than this binary is refused.")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err // Parse has printed the usage
		}
		return usageError{err.Error()}
	}
	action := "up"
	if fs.NArg() > 0 {
		action = fs.Arg(0)
	}
	if fs.NArg() > 1 || (action != "up" && action != "status") {
		return usagef("migrate takes up or status, not %q", strings.Join(fs.Args(), " "))
	}
	_, h, err := cli.openDatabase(ctx, action == "up")
	if err != nil {
		return err
	}
	defer h.close()
	state, err := models.SchemaState(ctx, h.db)
	if err != nil {
		return err
	}
	if action == "up" {
		fmt.Fprintf(cli.Stdout, "The schema is at version %d, the latest.\n", state.Current)
		return nil
	}
	w := tabwriter.NewWriter(cli.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tAPPLIED\tMIGRATION")
	for _, m := range state.Applied {
		applied := "no"
		if m.Applied {
			applied = "yes"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\n", m.Version, applied, m.Name)
	}
	_ = w.Flush()
	switch {
	case state.Current > state.Latest:
		return fmt.Errorf("the database is at version %d, newer than this binary's %d; run a newer borderflow", state.Current, state.Latest)
	case !state.UpToDate():
		fmt.Fprintf(cli.Stdout, "Pending: the database is at version %d of %d; run borderflow migrate.\n", state.Current, state.Latest)
	default:
		fmt.Fprintf(cli.Stdout, "Up to date at version %d.\n", state.Current)
	}
	return nil
}

func (cli CLI) demo(ctx context.Context, args []string) error {
	fs := cli.flagSet("demo [--days N] [--force] [--seed N]", "demo [--days N] [--force] [--seed N]\n\nLoads realistic demo data for both crossings, ending yesterday, into the configured\ndatabase. A database that already holds figures or status changes is refused unless\n--force, which replaces all figures and status changes.")
	days := fs.Int("days", 180, "how many days of figures, ending yesterday (1 to 3650)")
	force := fs.Bool("force", false, "replace the figures and status changes already stored")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same data")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *days < 1 || *days > 3650 {
		return usagef("--days must be between 1 and 3650, not %d", *days)
	}
	cfg, h, err := cli.openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer h.close()
	now := time.Now()
	summary, err := models.LoadDemo(ctx, h.db, models.DemoOptions{
		Days: *days, End: models.DateOf(now, cfg.TimeZone).AddDays(-1), Now: now, Seed: *seed, Force: *force,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "Loaded %d daily figures and %d status changes for %s to %s into the %s.\n",
		summary.Figures, summary.StatusChanges, summary.From, summary.To, cfg.Database)
	return nil
}

// stringList collects a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (cli CLI) userAdd(ctx context.Context, args []string) error {
	fs := cli.flagSet("user add", "user add --username U --role admin|supervisor|officer [--crossing SLUG]...\n\nCreates a staff account. The password is read from the first line of standard\ninput when it is piped; otherwise one is generated and printed once.")
	username := fs.String("username", "", "user name: 2 to 40 lower-case letters, digits, dots, dashes or underscores")
	role := fs.String("role", "", "admin, supervisor or officer")
	var crossings stringList
	fs.Var(&crossings, "crossing", "slug of a crossing the account works on (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return usagef("user add needs --username")
	}
	r, err := models.ParseRole(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	if r != models.RoleAdmin && len(crossings) == 0 {
		return usagef("an %s needs at least one --crossing to work on", r)
	}
	password, generated, err := cli.readPassword()
	if err != nil {
		return err
	}
	_, h, err := cli.openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer h.close()
	user, err := models.CreateUser(ctx, h.db, models.NewUser{
		Username: *username, Password: password, Role: r, CrossingSlugs: crossings,
	}, models.Actor{Name: "cli"})
	if err != nil {
		return err
	}
	fmt.Fprintf(cli.Stdout, "Created %s %s.\n", user.Role, user.Username)
	if generated {
		fmt.Fprintf(cli.Stdout, "Password (shown only now): %s\n", password)
	}
	return nil
}

func (cli CLI) tokenCreate(ctx context.Context, args []string) error {
	fs := cli.flagSet("token create", "token create --user U [--name NAME]\n\nCreates an API token that acts as the user U, with U's role and crossings, for a\nprogram that sends figures or status changes. Only the token is printed, on one\nline of standard output, and only now: the database keeps its hash.")
	username := fs.String("user", "", "user name of the account the token acts as")
	name := fs.String("name", "", "what uses the token, e.g. \"Torkham terminal counter\"")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return usagef("token create needs --user")
	}
	_, h, err := cli.openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer h.close()
	token, _, err := models.CreateAPIToken(ctx, h.db, *username, *name, models.Actor{Name: "cli"})
	switch {
	case errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("there is no user %q; create the account first with borderflow user add", *username)
	case errors.Is(err, models.ErrAccountDisabled):
		return fmt.Errorf("the account %q is disabled; enable it on the users page first", *username)
	case err != nil:
		return err
	}
	fmt.Fprintln(cli.Stdout, token)
	return nil
}

// importCSV runs "import figures|status FILE.csv [--dry-run]
// [--confirm-implausible]": the report goes to stdout (every problem by
// line and column), a progress bar to a terminal's stderr, and a file with
// problems is a failure that writes nothing.
func (cli CLI) importCSV(ctx context.Context, args []string) error {
	fs := cli.flagSet("import", "import figures|status FILE.csv [--dry-run] [--confirm-implausible]\n\n"+
		"Imports a CSV file of daily figures or of status changes, all or nothing. The file\n"+
		"has a header row naming its columns, in any order:\n"+
		"  figures: date,crossing,direction,category,trucks[,tonnes][,value_usd][,regime]\n"+
		"  status:  crossing,state,effective_at,reason[,scope][,note]\n"+
		"Rows are matched on their unique keys, so importing a file again changes nothing.\n"+
		"Every problem is listed with its line and column; a file with any writes nothing.")
	dryRun := fs.Bool("dry-run", false, "check the file, against the database too, and write nothing")
	confirm := fs.Bool("confirm-implausible", false, "accept days whose loaded trucks are above the crossing's plausibility limit")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch len(positional) {
	case 0:
		return usagef("import needs what the file holds and the file: import figures FILE.csv, or import status FILE.csv")
	case 1:
		return usagef("import %s needs the CSV file to import", positional[0])
	case 2:
	default:
		return usagef("unexpected argument %q", positional[2])
	}
	kind, err := models.ParseImportKind(positional[0])
	if err != nil {
		return usageError{err.Error()}
	}
	path := positional[1]
	f, err := os.Open(path)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return fmt.Errorf("cannot open %s: %s; check the path", path, firstLine(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return fmt.Errorf("%s is not a file; give the path of a CSV file", path)
	}
	_, h, err := cli.openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer h.close()
	l, err := NewTranslator()
	if err != nil {
		return err
	}
	locale := l.Locale()
	name := filepath.Base(path)
	var in io.Reader = f
	var bar *progressBar
	if tty, ok := cli.Stderr.(*os.File); ok && isTerminal(tty) && info.Size() > 0 {
		bar = &progressBar{r: f, out: tty, name: name, total: info.Size(), working: locale.T("import.progress_database")}
		in = bar
	}
	report, err := models.Import(ctx, h.db, models.Actor{Name: "cli"}, in, models.ImportOptions{Kind: kind, FileName: name,
		DryRun: *dryRun, ConfirmImplausible: *confirm, Now: time.Now()})
	bar.finish()
	if err != nil {
		return err
	}
	printImportReport(cli.Stdout, locale, newImportView(locale, report))
	if !report.OK() {
		return fmt.Errorf("the file %s has %d problems, listed on standard output, and nothing was imported; mend them and run the import again",
			name, report.ErrorCount)
	}
	return nil
}

// jobs runs "jobs list" and "jobs run NAME".
func (cli CLI) jobs(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("jobs needs a subcommand: jobs list, or jobs run NAME")
	}
	switch args[0] {
	case "list":
		return cli.jobsList(ctx, args[1:])
	case "run":
		return cli.jobsRun(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(cli.Stdout, usageText)
		return nil
	default:
		return usagef("jobs takes list or run, not %q", args[0])
	}
}

// openScheduler opens the configured database and prepares the jobs with
// the configured schedules; the scheduler is not started. Runs log
// nothing: the command reports how they ended.
func (cli CLI) openScheduler(ctx context.Context) (Config, *databaseHandle, *jobs.Scheduler, error) {
	cfg, h, err := cli.openDatabase(ctx, true)
	if err != nil {
		return Config{}, nil, nil, err
	}
	tr, err := NewTranslator()
	if err != nil {
		h.close()
		return Config{}, nil, nil, err
	}
	if err := cfg.applyDigits(tr); err != nil {
		h.close()
		return Config{}, nil, nil, err
	}
	s, err := jobs.NewScheduler(h.db, slog.New(slog.DiscardHandler), cfg.jobOptions(tr))
	if err != nil {
		h.close()
		return Config{}, nil, nil, err
	}
	return cfg, h, s, nil
}

func (cli CLI) jobsList(ctx context.Context, args []string) error {
	fs := cli.flagSet("jobs list", "jobs list\n\nShows each scheduled job: its name, schedule (BORDERFLOW_JOB_SCHEDULES replaces the\ndefaults), next run, last run with its status and rows written, and what it does.\nTimes are in BORDERFLOW_TIMEZONE.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, h, s, err := cli.openScheduler(ctx)
	if err != nil {
		return err
	}
	defer h.close()
	list, err := s.Statuses(ctx, time.Now(), 1)
	if err != nil {
		return err
	}
	const layout = "2006-01-02 15:04 MST"
	w := tabwriter.NewWriter(cli.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "JOB\tSCHEDULE\tNEXT RUN\tLAST RUN\tSTATUS\tROWS\tDESCRIPTION")
	var failures []string
	for _, st := range list {
		last, status, rows := "never", "-", "-"
		if st.Last != nil {
			last, status, rows = st.Last.StartedAt.In(cfg.TimeZone).Format(layout), st.Last.Status, fmt.Sprint(st.Last.RowsWritten)
			if st.Last.Error != "" {
				failures = append(failures, fmt.Sprintf("%s failed: %s", st.Job.Name, st.Last.Error))
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Job.Name, st.Job.Schedule, st.Next.Format(layout), last, status, rows, st.Job.Description)
	}
	_ = w.Flush()
	for _, f := range failures {
		fmt.Fprintln(cli.Stdout, f)
	}
	fmt.Fprintf(cli.Stdout, "Times are in %s. Jobs run inside borderflow serve unless BORDERFLOW_JOBS=off.\n", cfg.TimeZone)
	return nil
}

func (cli CLI) jobsRun(ctx context.Context, args []string) error {
	fs := cli.flagSet("jobs run", "jobs run NAME [--from YYYY-MM-DD --to YYYY-MM-DD] [--week YYYY-Www]\n\n"+
		"Runs one job now through the scheduler's own wrapper: one transaction, recorded\n"+
		"in the job's runs (as manual:<instant>) and in the audit log. A run that fails\n"+
		"leaves the job's previous results as they were. --from and --to, both included,\n"+
		"limit a job that works on days to those days; --week names the ISO week the\n"+
		"weekly-summary job publishes (a past week); the other jobs refuse them.")
	fromText := fs.String("from", "", "first day to work on, YYYY-MM-DD (with --to)")
	toText := fs.String("to", "", "last day to work on, YYYY-MM-DD (with --from)")
	weekText := fs.String("week", "", "ISO week for the weekly-summary job, e.g. 2026-W47")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch len(positional) {
	case 0:
		return usagef("jobs run needs the name of a job: %s", jobs.Names(jobs.Registry(jobs.Options{})))
	case 1:
	default:
		return usagef("unexpected argument %q", positional[1])
	}
	job, err := jobs.Lookup(positional[0])
	if err != nil {
		return usageError{err.Error()}
	}
	var manual jobs.Manual
	if *fromText != "" || *toText != "" {
		if *fromText == "" || *toText == "" {
			return usagef("give --from and --to together")
		}
		if manual.From, err = models.ParseDate(*fromText); err != nil {
			return usagef("--from %s", err)
		}
		if manual.To, err = models.ParseDate(*toText); err != nil {
			return usagef("--to %s", err)
		}
		if manual.To.Before(manual.From) {
			return usagef("--to %s is before --from %s", manual.To, manual.From)
		}
		if !job.Ranged {
			return usagef("the %s job takes no --from/--to; it always works on the current data", job.Name)
		}
	}
	if *weekText != "" {
		if manual.Week, err = models.ParseISOWeek(*weekText); err != nil {
			return usagef("--week %q is not an ISO week such as 2026-W47 (weeks 01 to 52 or 53)", *weekText)
		}
		if !job.Weekly {
			return usagef("the %s job takes no --week", job.Name)
		}
	}
	manual.Actor = models.Actor{Name: "cli"}
	_, h, s, err := cli.openScheduler(ctx)
	if err != nil {
		return err
	}
	defer h.close()
	run, err := s.RunNow(ctx, job.Name, manual)
	switch {
	case errors.Is(err, jobs.ErrBusy):
		return fmt.Errorf("the %s job is running in another process; try again when it has finished", job.Name)
	case err != nil && run.Status == models.JobFailed:
		return fmt.Errorf("the %s job failed and its previous results are unchanged: %s", job.Name, run.Error)
	case err != nil:
		return err
	}
	fmt.Fprintf(cli.Stdout, "Ran %s: %s, %d rows written in %s (run %s).\n", job.Name, run.Status, run.RowsWritten,
		run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond), run.Period)
	return nil
}

// printImportReport writes an import's report for a terminal.
func printImportReport(w io.Writer, l *Locale, v importView) {
	fmt.Fprintln(w, v.Summary)
	for _, n := range v.Notes {
		fmt.Fprintln(w, n)
	}
	for _, list := range []struct {
		title    string
		problems []importProblem
		more     string
	}{{l.T("import.problems"), v.Problems, v.MoreProblems}, {l.T("import.warnings"), v.Warnings, v.MoreWarnings}} {
		if len(list.problems) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", list.title)
		for _, p := range list.problems {
			fmt.Fprintf(w, "  %s: %s\n", p.Where, p.Message)
		}
		if list.more != "" {
			fmt.Fprintf(w, "  %s\n", list.more)
		}
	}
	switch {
	case v.Report.Committed:
		fmt.Fprintln(w, l.T("import.cli_committed"))
	case v.Report.DryRun && v.Report.OK():
		fmt.Fprintln(w, l.T("import.cli_dry_run"))
	}
}

// progressBar draws how much of a file has been read on a terminal, at
// most five times a second, then says the database is at work.
type progressBar struct {
	r       io.Reader
	out     io.Writer
	name    string
	working string
	total   int64
	read    int64
	last    time.Time
}

func (p *progressBar) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond || errors.Is(err, io.EOF) {
		p.last = now
		const width = 30
		percent := min(100, p.read*100/p.total)
		filled := int(percent) * width / 100
		fmt.Fprintf(p.out, "\r%s [%s%s] %3d%%", p.name, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), percent)
		if errors.Is(err, io.EOF) {
			fmt.Fprintf(p.out, " %s", p.working)
		}
	}
	return n, err
}

// finish clears the bar's line; a nil bar does nothing.
func (p *progressBar) finish() {
	if p != nil {
		fmt.Fprint(p.out, "\r\033[K")
	}
}

// parseInterspersed parses flags given before, between or after the
// positional arguments (import figures FILE.csv --dry-run) and returns
// the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err // Parse has printed the usage
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readPassword takes the first line of piped standard input, or generates
// a password when standard input is a terminal or absent.
func (cli CLI) readPassword() (password string, generated bool, err error) {
	if f, ok := cli.Stdin.(*os.File); cli.Stdin == nil || ok && isTerminal(f) {
		return models.GeneratePassword(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(cli.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("cannot read the password from standard input: %w", err)
	}
	password = strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", false, errors.New("standard input held no password; pipe one in, or run without piped input to have one generated")
	}
	return password, false, nil
}

// isTerminal reports whether f is a character device (a terminal, or
// /dev/null when there is no input at all), not a pipe or a file.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// databaseHandle closes a command's database connection.
type databaseHandle struct{ db *gorm.DB }

func (h *databaseHandle) close() { _ = models.Close(h.db) }

// sentence makes an error a sentence: capitalised, ending with a full stop.
func sentence(err error) string {
	s := firstLine(err)
	if s == "" {
		return "Failed."
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
