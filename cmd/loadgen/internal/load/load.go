// Package load replays a realistic mix of borderflow's traffic against
// servers on this machine and measures it: readers of the board, the
// crossing pages, the API, downloads and feeds, and officers writing
// figures and status changes through the API.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one run's settings; cmd/loadgen fills it from its flags.
type Config struct {
	Targets     []string      // base URLs, checked by CheckTarget
	Clients     int           // concurrent clients, each with its own connections
	Duration    time.Duration // the run ends after this long…
	MaxRequests int           // …or after this many requests, whichever comes first
	Think       time.Duration // mean pause between a client's requests (exponential)
	Ramp        time.Duration // clients start evenly spread over this, as users arrive
	Revalidate  time.Duration // a reader keeps the board's ETag this long, then loads it afresh
	Timeout     time.Duration // one request's limit
	Writers     int           // clients that are officers writing through the API (need Tokens)
	WriteThink  time.Duration // mean pause between a writer's writes
	Tokens      []Token
	Categories  []string // cargo categories the writers enter figures for
	// ForwardedFor sends each client's own X-Forwarded-For address (from
	// 198.18.0.0/15, the benchmarking range), as a reverse proxy would, so
	// that servers trusting 127.0.0.1 as a proxy limit each client apart.
	ForwardedFor bool
	WriteLog     io.Writer // one JSON line per acknowledged write; nil: none
	Seed         uint64
}

// Token is an API token and the crossing its account may write.
type Token struct {
	Crossing string
	Token    string
}

// Write is one acknowledged write, as -writes logs it: enough for a
// checker to find it in the database afterwards. ID is its
// Idempotency-Key, also sent as the figures' edit_reason or the status
// change's note.
type Write struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // "figures" or "status"
	Target    string    `json:"target"`
	Crossing  string    `json:"crossing"`
	Date      string    `json:"date,omitempty"`
	Direction string    `json:"direction,omitempty"`
	Category  string    `json:"category,omitempty"`
	Trucks    int       `json:"trucks,omitempty"`
	Version   int       `json:"version,omitempty"` // the day's version the answer gave
	State     string    `json:"state,omitempty"`
	Status    int       `json:"status"`
	Replayed  bool      `json:"replayed"`
	At        time.Time `json:"at"`
}

// readerMix is what a reader does, by weight: mostly the board, then the
// crossing pages, the API (figures ranges, status history, the list),
// downloads (figures as CSV) and feeds.
var readerMix = []struct {
	kind   string
	weight int
}{
	{"board", 50}, {"crossing", 15}, {"api-figures", 10}, {"feed", 8}, {"api-status-history", 7},
	{"api-crossings", 5}, {"download-csv", 3}, {"crossing-feed", 2},
}

// Validate refuses settings that would not make a bounded, loopback run.
func (c *Config) Validate() error {
	if len(c.Targets) == 0 {
		return errors.New("give at least one target base URL")
	}
	for i, t := range c.Targets {
		checked, err := CheckTarget(t)
		if err != nil {
			return err
		}
		c.Targets[i] = checked
	}
	switch {
	case c.Clients < 1 || c.Clients > 10000:
		return fmt.Errorf("clients must be between 1 and 10000, not %d", c.Clients)
	case c.Duration <= 0 || c.Duration > time.Hour:
		return fmt.Errorf("duration must be above 0 and at most 1h, not %s", c.Duration)
	case c.MaxRequests < 1:
		return fmt.Errorf("requests must be at least 1, not %d", c.MaxRequests)
	case c.Ramp < 0 || c.Ramp >= c.Duration:
		return fmt.Errorf("ramp must be at least 0 and shorter than the duration (%s), not %s", c.Duration, c.Ramp)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout must be above 0, not %s", c.Timeout)
	case c.Writers < 0 || c.Writers > c.Clients:
		return fmt.Errorf("writers must be between 0 and the number of clients (%d), not %d", c.Clients, c.Writers)
	case c.Writers > 0 && len(c.Tokens) == 0:
		return errors.New("writers need API tokens: give -token SLUG=TOKEN or -tokens FILE, or -writers 0")
	case c.Writers > 0 && len(c.Categories) == 0:
		return errors.New("writers need at least one cargo category")
	}
	return nil
}

// Run replays the mix until Duration has passed or MaxRequests were sent,
// or ctx ends, and reports what it measured. Requests in flight at the end
// finish (within Timeout) and count.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	slugs, err := crossingSlugs(ctx, cfg)
	if err != nil {
		return Report{}, err
	}
	started := time.Now()
	stop, cancel := context.WithDeadline(ctx, started.Add(cfg.Duration))
	defer cancel()
	r := &run{cfg: cfg, slugs: slugs, stop: stop, runID: strconv.FormatInt(started.UnixNano(), 36)}
	tallies := make([]*tally, cfg.Clients)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		tallies[i] = newTally()
		wg.Go(func() { r.client(i, tallies[i]) })
	}
	wg.Wait()
	return merge(tallies, cfg, started, time.Since(started)), nil
}

// run is what the clients of one run share.
type run struct {
	cfg     Config
	slugs   []string
	stop    context.Context
	runID   string // makes Idempotency-Keys unique across runs
	sent    atomic.Int64
	writeMu sync.Mutex
}

// ticket takes one request of the budget; false when the run is over.
func (r *run) ticket() bool {
	return r.stop.Err() == nil && r.sent.Add(1) <= int64(r.cfg.MaxRequests)
}

// client is one user: a reader browsing, or, for the first Writers
// clients, an officer writing figures and now and then a status change.
// Its requests go round-robin over the targets, starting at its own.
func (r *run) client(i int, t *tally) {
	c := &clientState{run: r, id: i, tally: t, rng: rand.New(rand.NewPCG(r.cfg.Seed, uint64(i))), next: i}
	c.http = &http.Client{
		Timeout: r.cfg.Timeout,
		// A browser's own connections, kept alive between requests.
		Transport: &http.Transport{DialContext: dialLoopback(), MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second,
			DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer c.http.CloseIdleConnections()
	if r.cfg.ForwardedFor {
		c.forwardedFor = fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)
	}
	writer := i < r.cfg.Writers
	select {
	case <-r.stop.Done():
		return
	case <-time.After(r.cfg.Ramp * time.Duration(i) / time.Duration(r.cfg.Clients)):
	}
	for r.ticket() {
		if writer {
			c.write()
			c.think(c.cfg.WriteThink)
		} else {
			c.read()
			c.think(c.cfg.Think)
		}
	}
}

type clientState struct {
	*run
	id           int
	tally        *tally
	rng          *rand.Rand
	http         *http.Client
	next         int // the next target, round-robin
	forwardedFor string
	boardETag    string
	boardAt      time.Time
	writes       int
}

func (c *clientState) target() string {
	t := c.cfg.Targets[c.next%len(c.cfg.Targets)]
	c.next++
	return t
}

// think pauses for an exponentially distributed time of the given mean.
func (c *clientState) think(mean time.Duration) {
	if mean <= 0 {
		return
	}
	d := min(time.Duration(c.rng.ExpFloat64()*float64(mean)), 10*mean)
	select {
	case <-c.stop.Done():
	case <-time.After(d):
	}
}

func (c *clientState) slug() string { return c.slugs[c.rng.IntN(len(c.slugs))] }

// read sends one reader's request, chosen by weight.
func (c *clientState) read() {
	n := c.rng.IntN(100)
	kind := readerMix[len(readerMix)-1].kind
	for _, m := range readerMix {
		if n < m.weight {
			kind = m.kind
			break
		}
		n -= m.weight
	}
	gzip := http.Header{"Accept-Encoding": {"gzip"}}
	switch kind {
	case "board":
		c.board()
	case "crossing":
		c.get(kind, "/crossings/"+c.slug(), gzip)
	case "api-crossings":
		c.get(kind, "/api/v1/crossings", nil)
	case "api-figures":
		c.get(kind, "/api/v1/crossings/"+c.slug()+"/figures?"+c.dayRange(), nil)
	case "download-csv":
		c.get(kind, "/api/v1/crossings/"+c.slug()+"/figures?format=csv&"+c.dayRange(), gzip)
	case "api-status-history":
		c.get(kind, "/api/v1/crossings/"+c.slug()+"/status-history", nil)
	case "feed":
		c.get(kind, "/feed.atom", gzip)
	case "crossing-feed":
		c.get(kind, "/crossings/"+c.slug()+"/feed.atom", gzip)
	}
}

// board loads the board as a browser does: the board is "no-cache" with
// an ETag, so a reader holding a copy revalidates it with If-None-Match
// (kind board-revalidate, mostly 304); after Revalidate the reader counts
// as a new one and loads it whole (kind board).
func (c *clientState) board() {
	h := http.Header{"Accept-Encoding": {"gzip"}}
	kind := "board"
	if c.boardETag != "" && time.Since(c.boardAt) < c.cfg.Revalidate {
		kind = "board-revalidate"
		h.Set("If-None-Match", c.boardETag)
	}
	resp, ok := c.do(kind, http.MethodGet, c.target()+"/", h, nil, http.StatusOK, http.StatusNotModified)
	if ok && resp.status == http.StatusOK {
		c.boardETag = resp.header.Get("ETag")
		if kind == "board" {
			c.boardAt = time.Now()
		}
	}
}

// dayRange is a range of 7 to 90 days ending within the last year.
func (c *clientState) dayRange() string {
	to := time.Now().UTC().AddDate(0, 0, -1-c.rng.IntN(365))
	from := to.AddDate(0, 0, -6-c.rng.IntN(84))
	return "from=" + from.Format(time.DateOnly) + "&to=" + to.Format(time.DateOnly)
}

func (c *clientState) get(kind, path string, h http.Header) {
	c.do(kind, http.MethodGet, c.target()+path, h, nil, http.StatusOK)
}

// answer is what a request got back, its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request and records it under kind: a success when its
// status is one of want, else an error by cause.
func (c *clientState) do(kind, method, url string, h http.Header, body []byte, want ...int) (answer, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.stop), c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		c.tally.fail(kind, "other", err)
		return answer{}, false
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "borderflow-loadgen")
	if c.forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", c.forwardedFor)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.tally.fail(kind, errorCause(err), err)
		return answer{}, false
	}
	// Small bodies (API answers) are kept; the rest is read and dropped.
	var buf bytes.Buffer
	if method == http.MethodPost {
		_, err = io.Copy(&buf, resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	_ = resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		c.tally.fail(kind, errorCause(err), err)
		return answer{}, false
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}
	for _, w := range want {
		if resp.StatusCode == w {
			c.tally.ok(kind, elapsed)
			return a, true
		}
	}
	se := statusError{resp.StatusCode}
	c.tally.fail(kind, se.Error(), fmt.Errorf("%s %s: %w %s", method, url, se, firstBytes(buf.Bytes())))
	return a, false
}

func firstBytes(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(bytes.TrimSpace(b))
}

// write is one officer's write: figures for the writer's own day and
// category (so that each write changes what is stored and stays
// checkable), every fifth time (its first write included) a status change
// of its crossing instead.
func (c *clientState) write() {
	tok := c.cfg.Tokens[c.id%len(c.cfg.Tokens)]
	c.writes++
	w := Write{ID: fmt.Sprintf("loadgen-%s-%d-%d", c.runID, c.id, c.writes), Crossing: tok.Crossing}
	var body any
	if c.writes%5 == 1 {
		w.Kind, w.State = "status", "open"
		status := map[string]any{"state": w.State, "note": w.ID}
		if c.writes%10 == 6 {
			w.State, status["state"], status["reason"], status["scope"] = "restricted", "restricted", "documentation", "reduced_hours"
		}
		body = status
	} else {
		cats := len(c.cfg.Categories)
		w.Kind = "figures"
		w.Category = c.cfg.Categories[c.id%cats]
		w.Date = time.Now().UTC().AddDate(0, 0, -2-c.id/cats).Format(time.DateOnly)
		w.Direction = "to_afghanistan"
		w.Trucks = 1 + (c.writes*7+c.id)%60 // differs from this writer's previous write
		body = map[string]any{"date": w.Date, "edit_reason": w.ID, "figures": []map[string]any{
			{"direction": w.Direction, "category": w.Category, "trucks": w.Trucks}}}
	}
	payload, _ := json.Marshal(body)
	path := "/api/v1/crossings/" + tok.Crossing + "/" + w.Kind
	h := http.Header{"Authorization": {"Bearer " + tok.Token}, "Content-Type": {"application/json"},
		"Idempotency-Key": {w.ID}}
	want := http.StatusOK
	if w.Kind == "status" {
		want = http.StatusCreated
	}
	// A write whose answer was lost is sent again with the same key, to
	// the next target: the server runs it once.
	for attempt := 0; attempt < 3; attempt++ {
		w.Target = c.target()
		resp, ok := c.do("write-"+w.Kind, http.MethodPost, w.Target+path, h, payload, want)
		if ok {
			w.Status, w.Replayed, w.At = resp.status, resp.header.Get("Idempotent-Replayed") == "true", time.Now().UTC()
			var day struct{ Version int }
			if w.Kind == "figures" && json.Unmarshal(resp.body, &day) == nil {
				w.Version = day.Version
			}
			c.acknowledged(w)
			return
		}
		if resp.status != 0 && resp.status != http.StatusServiceUnavailable || c.stop.Err() != nil {
			return // refused for good, or the run is over
		}
		select {
		case <-c.stop.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *clientState) acknowledged(w Write) {
	c.tally.writes++
	if c.cfg.WriteLog == nil {
		return
	}
	line, _ := json.Marshal(w)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, _ = c.cfg.WriteLog.Write(append(line, '\n'))
}

// crossingSlugs reads the public crossings from the first target's API.
func crossingSlugs(ctx context.Context, cfg Config) ([]string, error) {
	client := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{DialContext: dialLoopback()}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Targets[0]+"/api/v1/crossings", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot read the crossings from %s: %w", cfg.Targets[0], err)
	}
	defer resp.Body.Close()
	var list struct {
		Crossings []struct{ Slug string }
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cannot read the crossings from %s: status %d", cfg.Targets[0], resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Crossings) == 0 {
		return nil, fmt.Errorf("%s/api/v1/crossings lists no crossings (%v)", cfg.Targets[0], err)
	}
	slugs := make([]string, len(list.Crossings))
	for i, cr := range list.Crossings {
		slugs[i] = cr.Slug
	}
	return slugs, nil
}
