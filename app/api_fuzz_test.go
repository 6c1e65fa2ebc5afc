package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"borderflow/models"
)

// FuzzParseRangeQuery: whatever from, to and format hold, the parser either
// gives a range within the rules or a 400 naming the parameters at fault.
func FuzzParseRangeQuery(f *testing.F) {
	for _, seed := range [][3]string{
		{"", "", ""},
		{"2026-11-01", "2026-11-27", "csv"},
		{"2026-13-01", "", ""},
		{"2026-02-01", "2026-01-01", "json"},
		{"2025-01-01", "2026-01-02", ""},
		{"2019-12-31", "", ""},
		{"", "2026-11-29", "xml"},
		{"0001-01-01", "0001-01-01", ""},
		{"9999-12-31", "", ""},
		{" 2026-11-01", "2026-11-01\x00", "CSV"},
		{"2026-11-01T00:00:00Z", "+2026-11-01", "json,csv"},
		{strings.Repeat("ق", 100), "\xff\xfe", strings.Repeat("x", 1000)},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	rules := rangeRules{Today: models.NewDate(2026, 11, 27), RecordsFrom: models.NewDate(2020, 1, 1),
		DefaultDays: figuresDefaultDays, Formats: []string{"json", "csv"}}
	f.Fuzz(func(t *testing.T, from, to, format string) {
		q, err := parseRangeQuery(url.Values{"from": {from}, "to": {to}, "format": {format}}, rules)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) || re.status != http.StatusBadRequest || re.message == "" || len(re.fields) == 0 {
				t.Fatalf("error %#v is not a 400 naming its parameters", err)
			}
			for name, message := range re.fields {
				if !slices.Contains([]string{"from", "to", "format"}, name) || message == "" {
					t.Errorf("field %q: %q", name, message)
				}
			}
			if len(re.message) > 1000 {
				t.Errorf("message of %d bytes", len(re.message))
			}
			return
		}
		r := q.Range
		if err := r.Validate(); err != nil {
			t.Fatalf("accepted an invalid range %s..%s: %v", r.From, r.To, err)
		}
		if r.From.Before(rules.RecordsFrom) || r.To.After(rules.Today.AddDays(1)) {
			t.Errorf("accepted %s..%s outside %s..tomorrow", r.From, r.To, rules.RecordsFrom)
		}
		if !slices.Contains(rules.Formats, q.Format) {
			t.Errorf("accepted format %q", q.Format)
		}
		if (from != "" && r.From.String() != from) || (to != "" && r.To.String() != to) {
			t.Errorf("asked for %q..%q, answered %s..%s", from, to, r.From, r.To)
		}
	})
}

// FuzzFiguresEndpoint sends any query string (and slug) through the real
// router to the figures endpoint: the answer is never a server error, and a
// refusal is in the API's error shape.
func FuzzFiguresEndpoint(f *testing.F) {
	for _, seed := range [][2]string{
		{"torkham", ""},
		{"torkham", "from=2026-10-01&to=2026-10-31&format=csv"},
		{"torkham", "from=2026-13-01"},
		{"torkham", "from=2026-02-01&to=2026-01-01"},
		{"torkham", "from=2025-01-01&to=2026-01-02&format=json"},
		{"chaman", "format=xml&format=csv"},
		{"chaman", "from=%zz&to=%"},
		{"chaman", "from=2019-12-31&lang=ps"},
		{"nowhere", "to=9999-12-31"},
		{"x%00", "from=0000-01-01"},
		{"torkham", strings.Repeat("from=1&", 200)},
		{"..%2f..%2fstatic", ";;&&==?#"},
	} {
		f.Add(seed[0], seed[1])
	}
	a := newTestApp(f, "sqlite:"+filepath.Join(f.TempDir(), "borderflow.db"))
	now := time.Now()
	if _, err := models.LoadDemo(context.Background(), a.DB(), models.DemoOptions{Days: 60,
		End: models.DateOf(now, pkt), Now: now, Seed: 1}); err != nil {
		f.Fatal(err)
	}
	// Each request comes from a client of its own, so that the rate limit
	// does not turn the target into a test of itself.
	var client atomic.Uint64
	f.Fuzz(func(t *testing.T, slug, query string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = "/api/v1/crossings/" + slug + "/figures"
		req.URL.RawQuery = query
		n := client.Add(1)
		req.RemoteAddr = fmt.Sprintf("[2001:db8:%x:%x::1]:443", n>>16&0xffff, n&0xffff)
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %s?%s = %d: %s", req.URL.Path, query, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusBadRequest || rec.Code == http.StatusNotFound {
			var body apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Message == "" {
				t.Errorf("GET %s?%s = %d with %q, not the error shape", req.URL.Path, query, rec.Code, rec.Body)
			}
		}
	})
}
