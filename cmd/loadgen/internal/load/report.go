package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Report is what a run measured. Its JSON form is what -report writes.
type Report struct {
	Targets  []string      `json:"targets"`
	Clients  int           `json:"clients"`
	Started  time.Time     `json:"started"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Requests int           `json:"requests"`
	// Errors counts failed requests by cause: "status 503", "reset",
	// "refused", "timeout", "eof" (connection closed before an answer),
	// "other"; ErrorsByKind the same per kind of request.
	Errors       map[string]int            `json:"errors"`
	ErrorsByKind map[string]map[string]int `json:"errors_by_kind"`
	Kinds        []KindReport              `json:"kinds"`
	Writes       int                       `json:"acknowledged_writes"`
	// FirstErrors keeps the first error of each cause, for a person to read.
	FirstErrors []string `json:"first_errors"`
}

// KindReport is one kind of request's count and latencies, in milliseconds,
// over the requests that succeeded.
type KindReport struct {
	Kind    string  `json:"kind"`
	Count   int     `json:"count"`
	Errors  int     `json:"errors"`
	P50     float64 `json:"p50_ms"`
	P90     float64 `json:"p90_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
	PerSecs float64 `json:"per_second"`
}

// ErrorCount is the number of failed requests.
func (r Report) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Throughput is the successful and failed requests a second.
func (r Report) Throughput() float64 { return float64(r.Requests) / max(r.Elapsed.Seconds(), 1e-9) }

// Kind returns the report of one kind of request.
func (r Report) Kind(kind string) (KindReport, bool) {
	for _, k := range r.Kinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return KindReport{}, false
}

// Print writes the report as a table for a person.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d requests in %s from %d clients on %s: %.0f requests/s, %d errors, %d acknowledged writes\n\n",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Clients, strings.Join(r.Targets, " "), r.Throughput(), r.ErrorCount(), r.Writes)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tcount\t/s\terrors\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", k.Kind, k.Count, k.PerSecs, k.Errors, k.P50, k.P90, k.P99, k.Max)
	}
	_ = tw.Flush()
	if len(r.Errors) > 0 {
		fmt.Fprintln(w, "\nerrors:")
		for _, cause := range slices.Sorted(mapKeys(r.Errors)) {
			fmt.Fprintf(w, "  %-12s %d\n", cause, r.Errors[cause])
		}
		for _, e := range r.FirstErrors {
			fmt.Fprintf(w, "  e.g. %s\n", e)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// tally is one client's results; the clients' tallies merge at the end.
type tally struct {
	latencies map[string][]time.Duration
	errors    map[string]map[string]int // kind → cause → count
	first     map[string]string         // cause → the first error of that cause
	writes    int
}

func newTally() *tally {
	return &tally{latencies: map[string][]time.Duration{}, errors: map[string]map[string]int{}, first: map[string]string{}}
}

func (t *tally) ok(kind string, d time.Duration) { t.latencies[kind] = append(t.latencies[kind], d) }

func (t *tally) fail(kind, cause string, err error) {
	if t.errors[kind] == nil {
		t.errors[kind] = map[string]int{}
	}
	t.errors[kind][cause]++
	if _, ok := t.first[cause]; !ok {
		t.first[cause] = kind + ": " + err.Error()
	}
}

// errorCause names why a request failed, for the error counts.
func errorCause(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "server closed"):
		return "eof"
	}
	return "other"
}

// statusError is an answer of an unexpected status.
type statusError struct{ status int }

func (e statusError) Error() string { return fmt.Sprintf("status %d", e.status) }

func merge(tallies []*tally, cfg Config, started time.Time, elapsed time.Duration) Report {
	r := Report{Targets: cfg.Targets, Clients: cfg.Clients, Started: started, Elapsed: elapsed,
		Errors: map[string]int{}, ErrorsByKind: map[string]map[string]int{}}
	all := map[string][]time.Duration{}
	first := map[string]string{}
	for _, t := range tallies {
		for kind, ds := range t.latencies {
			all[kind] = append(all[kind], ds...)
		}
		for kind, causes := range t.errors {
			if r.ErrorsByKind[kind] == nil {
				r.ErrorsByKind[kind] = map[string]int{}
			}
			for cause, n := range causes {
				r.ErrorsByKind[kind][cause] += n
				r.Errors[cause] += n
				r.Requests += n
			}
		}
		for cause, msg := range t.first {
			if _, ok := first[cause]; !ok {
				first[cause] = msg
			}
		}
		r.Writes += t.writes
	}
	for _, cause := range slices.Sorted(mapKeys(first)) {
		r.FirstErrors = append(r.FirstErrors, first[cause])
	}
	kinds := slices.Collect(mapKeys(all))
	for kind := range r.ErrorsByKind {
		if _, ok := all[kind]; !ok {
			kinds = append(kinds, kind)
		}
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		ds := all[kind]
		slices.Sort(ds)
		errs := 0
		for _, n := range r.ErrorsByKind[kind] {
			errs += n
		}
		r.Requests += len(ds)
		r.Kinds = append(r.Kinds, KindReport{Kind: kind, Count: len(ds), Errors: errs,
			P50: ms(percentile(ds, 0.50)), P90: ms(percentile(ds, 0.90)), P99: ms(percentile(ds, 0.99)), Max: ms(percentile(ds, 1)),
			PerSecs: float64(len(ds)) / max(elapsed.Seconds(), 1e-9)})
	}
	return r
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
