package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models"
)

// The board's page-weight budget (issue "The public side"): its HTML plus
// the CSS, scripts and images it makes a browser fetch, in bytes (1 KB is
// taken as 1,000 bytes, the stricter reading).
const (
	boardBudgetRaw  = 40_000
	boardBudgetGzip = 12_000
	fontBudget      = 120_000 // the right-to-left pages' fonts together, on the wire
)

// loadingRels are the <link rel> values that make a browser fetch the target
// as part of the page; other links (alternate, canonical) are only addresses.
var loadingRels = map[string]bool{
	"stylesheet": true, "icon": true, "shortcut": true, "apple-touch-icon": true,
	"preload": true, "modulepreload": true, "prefetch": true, "manifest": true, "mask-icon": true,
}

// cssRefs finds url(...) and @import "..." references in a style sheet.
var cssRefs = regexp.MustCompile(`url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]`)

// pageResource is one response a page load fetches, with its sizes.
type pageResource struct {
	path     string
	raw      int // the decoded body
	served   int // the bytes on the wire when the client accepts gzip
	best     int // the body at gzip.BestCompression, for reference
	encoding string
}

// TestBoardPageWeight loads the board with demo data, fetches every
// resource it references through the same router, and holds the total to
// the budget; every reference must be to this site. The board shows each
// crossing's current status and last 14 days, so 30 days of demo data make
// the same page as the first start's 180 (only the counts differ, by a few
// bytes in all) and load in 2 s instead of 15 s under -race.
func TestBoardPageWeight(t *testing.T) {
	a := newSQLiteApp(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	if _, err := models.LoadDemo(context.Background(), a.DB(), models.DemoOptions{
		Days: 30, End: models.DateOf(now, a.cfg.TimeZone).AddDays(-1), Now: now, Seed: 1,
	}); err != nil {
		t.Fatal(err)
	}

	// Right to left, the board also loads rtl.css and the Arabic-script
	// font: the page and its CSS keep the budget, the fonts have their own.
	for _, lang := range []string{"en", "ps"} {
		path := "/?lang=" + lang
		t.Run(lang, func(t *testing.T) {
			board := fetchResource(t, a, path)
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(board.body))
			if err != nil {
				t.Fatal(err)
			}
			if n := doc.Find(".card").Length(); n != 2 {
				t.Fatalf("the board shows %d crossing cards, want the demo's 2", n)
			}

			var refs []string
			doc.Find("link[href]").Each(func(_ int, s *goquery.Selection) {
				href, _ := s.Attr("href")
				if !sameOrigin(href) {
					t.Errorf("<link rel=%q href=%q> points to another host", s.AttrOr("rel", ""), href)
					return
				}
				for _, rel := range strings.Fields(strings.ToLower(s.AttrOr("rel", ""))) {
					if loadingRels[rel] {
						refs = append(refs, href)
						return
					}
				}
			})
			for _, sel := range []struct{ query, attr string }{
				{"script[src]", "src"}, {"img[src]", "src"}, {"source[src]", "src"},
				{"image[href]", "href"}, {"use[href]", "href"}, {"iframe[src]", "src"},
			} {
				doc.Find(sel.query).Each(func(_ int, s *goquery.Selection) {
					ref, _ := s.Attr(sel.attr)
					if strings.HasPrefix(ref, "#") {
						return // a fragment of this document
					}
					refs = append(refs, ref)
				})
			}
			doc.Find("img[srcset], source[srcset]").Each(func(_ int, s *goquery.Selection) {
				for _, candidate := range strings.Split(s.AttrOr("srcset", ""), ",") {
					if f := strings.Fields(candidate); len(f) > 0 {
						refs = append(refs, f[0])
					}
				}
			})

			resources := []pageResource{board.pageResource}
			var fonts []fetched
			seen := map[string]bool{path: true}
			for len(refs) > 0 {
				ref := refs[0]
				refs = refs[1:]
				if strings.HasPrefix(ref, "data:") {
					continue // inline, already counted in the referring body
				}
				if !sameOrigin(ref) {
					t.Errorf("the board makes the browser fetch %q from another host", ref)
					continue
				}
				if seen[ref] {
					continue
				}
				seen[ref] = true
				r := fetchResource(t, a, ref)
				if strings.HasPrefix(r.contentType, "font/") {
					fonts = append(fonts, r)
					continue
				}
				resources = append(resources, r.pageResource)
				if strings.HasPrefix(r.contentType, "text/css") {
					base, _ := url.Parse(ref)
					for _, m := range cssRefs.FindAllStringSubmatch(string(r.body), -1) {
						target := m[1] + m[2]
						if strings.HasPrefix(target, "data:") {
							continue
						}
						if !sameOrigin(target) {
							t.Errorf("%s refers to %q on another host", ref, target)
							continue
						}
						u, err := url.Parse(target)
						if err != nil {
							t.Errorf("%s refers to an unreadable URL %q", ref, target)
							continue
						}
						refs = append(refs, base.ResolveReference(u).String())
					}
				}
			}

			var raw, served, best int
			for _, r := range resources {
				t.Logf("%-44s %6d B raw  %6d B served (%s)  %6d B at gzip -9", r.path, r.raw, r.served, r.encoding, r.best)
				raw, served, best = raw+r.raw, served+r.served, best+r.best
			}
			t.Logf("%-44s %6d B raw  %6d B served         %6d B at gzip -9   (budget %d raw, %d gzip)",
				"total", raw, served, best, boardBudgetRaw, boardBudgetGzip)
			if len(resources) < 2 {
				t.Errorf("found %d resources; the board links at least its style sheet", len(resources))
			}
			if raw > boardBudgetRaw {
				t.Errorf("the board and what it loads weigh %d bytes uncompressed, over the %d-byte budget", raw, boardBudgetRaw)
			}
			if served > boardBudgetGzip {
				t.Errorf("the board and what it loads take %d bytes on the wire with gzip, over the %d-byte budget", served, boardBudgetGzip)
			}
			fontBytes := 0
			for _, f := range fonts {
				fontBytes += f.served
				t.Logf("%-44s %6d B served (font)  Cache-Control: %s", f.path, f.served, f.cacheControl)
				if !strings.Contains(f.cacheControl, "immutable") {
					t.Errorf("the font %s is served with Cache-Control %q: not cached for good", f.path, f.cacheControl)
				}
			}
			switch {
			case lang == "en" && len(fonts) > 0:
				t.Errorf("the English board loads %d fonts, want none", len(fonts))
			case lang != "en" && len(fonts) == 0:
				t.Errorf("the %s board loads no Arabic-script font", lang)
			case fontBytes > fontBudget:
				t.Errorf("the fonts weigh %d bytes, over the %d-byte budget", fontBytes, fontBudget)
			}
		})
	}
}

// sameOrigin reports whether ref is a path on this site: no scheme, no host
// (a protocol-relative //host/... is another host too).
func sameOrigin(ref string) bool {
	if strings.HasPrefix(ref, "data:") {
		return true
	}
	u, err := url.Parse(ref)
	if err != nil || strings.HasPrefix(ref, "//") || strings.HasPrefix(ref, `\`) {
		return false
	}
	return u.Scheme == "" && u.Host == "" && u.Opaque == ""
}

// fetched is one resource's decoded body beside its sizes.
type fetched struct {
	pageResource
	body         []byte
	contentType  string
	cacheControl string
}

// fetchResource GETs path twice through the router, as a browser without and
// with gzip, checks both answers agree, and measures them.
func fetchResource(t *testing.T, a *App, path string) fetched {
	t.Helper()
	plain := get(t, a, path)
	if plain.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, plain.Code)
	}
	if enc := plain.Header().Get("Content-Encoding"); enc != "" {
		t.Fatalf("GET %s without Accept-Encoding came back %s-encoded", path, enc)
	}
	body := plain.Body.Bytes()
	zipped := get(t, a, path, "Accept-Encoding", "gzip")
	if zipped.Code != http.StatusOK {
		t.Fatalf("GET %s with gzip: status %d", path, zipped.Code)
	}
	r := fetched{body: body, contentType: plain.Header().Get("Content-Type"), cacheControl: plain.Header().Get("Cache-Control"),
		pageResource: pageResource{path: path, raw: len(body), served: zipped.Body.Len(), best: gzipSize(t, body), encoding: "identity"}}
	if enc := zipped.Header().Get("Content-Encoding"); enc != "" {
		r.encoding = enc
		if enc != "gzip" {
			t.Fatalf("GET %s: Content-Encoding %q", path, enc)
		}
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatalf("GET %s: the gzip body does not open: %v", path, err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("GET %s: the gzip body does not read: %v", path, err)
		}
		if !bytes.Equal(unzipped, body) {
			t.Errorf("GET %s: the gzip body differs from the plain one (%d vs %d bytes)", path, len(unzipped), len(body))
		}
	} else if !bytes.Equal(zipped.Body.Bytes(), body) {
		t.Errorf("GET %s: the answers with and without gzip differ", path)
	}
	return r
}

func gzipSize(t *testing.T, body []byte) int {
	t.Helper()
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(body)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

func TestSameOrigin(t *testing.T) {
	for ref, want := range map[string]bool{
		"/static/abc/app.css": true, "app.css": true, "../img/x.png": true, "data:image/png;base64,AAAA": true,
		"https://cdn.example.com/x.js": false, "//cdn.example.com/x.js": false, "http://localhost/x.css": false,
		`\\evil.example\x.js`: false, "javascript:alert(1)": false,
	} {
		if got := sameOrigin(ref); got != want {
			t.Errorf("sameOrigin(%q) = %t, want %t", ref, got, want)
		}
	}
}
