// Command loadgen replays a realistic mix of borderflow's traffic against
// one or more servers on this machine and reports throughput, latency
// percentiles and errors per kind of request.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"borderflow/cmd/loadgen/internal/load"
)

const usage = `Usage: loadgen [flags] BASE_URL...

Replays borderflow's traffic with -clients concurrent clients against the
servers at BASE_URL (several replicas: each client takes them in turn), for
at most -duration and at most -requests requests. Only this machine is
loaded: a BASE_URL must be http(s)://127.x.x.x, [::1] or localhost.

Clients start evenly spread over -ramp, as users arrive; each pauses -think
on average between requests (exponentially distributed). Readers load the
board (gzip; a reader holding the board's ETag revalidates it with
If-None-Match, and after -revalidate loads it whole as a new reader),
crossing pages, the API (crossings, figures ranges, status history), CSV
downloads and the Atom feeds. The first -writers clients are officers,
pausing -write-think between writes: through the API, with a Bearer token
and an Idempotency-Key, they save figures for a day and category of their
own and every fifth time change their crossing's status (a write whose
answer was lost is sent again with the same key, up to three times).

Each client sends an X-Forwarded-For address of its own (198.18.0.0/15)
unless -forwarded-for=false; serve with BORDERFLOW_TRUSTED_PROXIES=127.0.0.1/32
so that the API's per-client rate limit counts each client apart, as behind
a reverse proxy.

The report gives, per kind of request, the count, the rate, the errors and
the latency percentiles (p50, p90, p99, max), and the errors by cause:
"status N", "reset", "refused", "timeout", "eof" (connection closed before
an answer) or "other". The exit status is 1 when any request failed.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// tokenList collects -token SLUG=TOKEN.
type tokenList []load.Token

func (l *tokenList) String() string { return fmt.Sprint(len(*l), " tokens") }
func (l *tokenList) Set(v string) error {
	t, err := parseToken(v)
	if err != nil {
		return err
	}
	*l = append(*l, t)
	return nil
}

func parseToken(v string) (load.Token, error) {
	slug, token, ok := strings.Cut(strings.TrimSpace(v), "=")
	if !ok || slug == "" || token == "" {
		return load.Token{}, errors.New("a token is given as SLUG=TOKEN: the crossing its account writes, and the token")
	}
	return load.Token{Crossing: slug, Token: token}, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	cfg := load.Config{}
	fs.IntVar(&cfg.Clients, "clients", 50, "concurrent clients (1 to 10000)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "longest run (at most 1h)")
	fs.IntVar(&cfg.MaxRequests, "requests", 1_000_000, "most requests sent in all")
	fs.DurationVar(&cfg.Think, "think", 500*time.Millisecond, "mean pause between a client's requests (0: none)")
	fs.DurationVar(&cfg.Ramp, "ramp", 5*time.Second, "clients start evenly spread over this long (0: all at once)")
	fs.DurationVar(&cfg.Revalidate, "revalidate", time.Minute, "how long a reader keeps the board's ETag before loading it whole again")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "limit of one request")
	fs.IntVar(&cfg.Writers, "writers", 0, "clients that write through the API (needs tokens)")
	fs.DurationVar(&cfg.WriteThink, "write-think", 5*time.Second, "mean pause between a writer's writes (0: none)")
	var tokens tokenList
	fs.Var(&tokens, "token", "API token of a writer as SLUG=TOKEN, the crossing its account works on (repeatable)")
	tokensFile := fs.String("tokens", "", "file of writers' tokens, one SLUG=TOKEN a line")
	categories := fs.String("categories", "fresh_produce,dry_fruit,coal,minerals,cement,food_staples,edible_oil,medicine,aid,textiles",
		"comma-separated cargo categories the writers enter figures for")
	fs.BoolVar(&cfg.ForwardedFor, "forwarded-for", true, "send each client's own X-Forwarded-For address")
	seed := fs.Uint64("seed", 1, "random seed of the clients' choices")
	writesFile := fs.String("writes", "", "write each acknowledged write to this file, one JSON object a line")
	reportFile := fs.String("report", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.Targets, cfg.Seed, cfg.Tokens = fs.Args(), *seed, tokens
	for c := range strings.SplitSeq(*categories, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cfg.Categories = append(cfg.Categories, c)
		}
	}
	if *tokensFile != "" {
		more, err := readTokens(*tokensFile)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
		cfg.Tokens = append(cfg.Tokens, more...)
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	if *writesFile != "" {
		f, err := os.Create(*writesFile)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
		defer f.Close()
		w := bufio.NewWriter(f)
		defer w.Flush()
		cfg.WriteLog = w
	}
	report, err := load.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	report.Print(stdout)
	if *reportFile != "" {
		data, _ := json.MarshalIndent(report, "", "  ")
		if err := os.WriteFile(*reportFile, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
	}
	if report.ErrorCount() > 0 {
		return 1
	}
	return 0
}

func readTokens(path string) ([]load.Token, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tokens []load.Token
	for i, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := parseToken(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		tokens = append(tokens, t)
	}
	return tokens, nil
}
