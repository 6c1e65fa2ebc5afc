package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// pageTTL bounds how long a rendered public page is reused: the pages say
// "closed for 3 days 4 hours", so even without a write they age.
const pageTTL = 30 * time.Second

// pageRenderTimeout bounds a shared render of a public page.
const pageRenderTimeout = 20 * time.Second

// pageRenderPatience is how long a reader who has a previous copy of a page
// waits for its new render before being given that copy; the render goes on
// and serves the requests after it. On a quiet server a render takes a few
// milliseconds and every reader sees the new page; under load the one
// request that renders no longer waits for it.
const pageRenderPatience = 40 * time.Millisecond

// pageContent is what a public page's builder returns for rendering.
type pageContent struct {
	Status       int
	Title        string
	Data         any
	LastModified time.Time // the newest data on the page
}

// renderedPage is a public page rendered once and served many times, with
// its gzip form made once too.
type renderedPage struct {
	status       int
	body         []byte
	gzipped      []byte
	etag         string
	lastModified time.Time
	expires      time.Time
}

// pageCache holds the rendered public pages. A write to the data calls
// invalidate; otherwise a page lives for pageTTL. One request starts the
// render of a page that is missing, out of date or expired, and waits for it
// at most its patience when there is a previous copy (it was current a
// moment ago); the others asking meanwhile get that copy at once, or wait
// for the one render when there is no copy. So an expiry or a write under
// load costs one render and keeps no reader waiting long, rather than every
// request that arrives during the render.
type pageCache struct {
	mu         sync.Mutex
	pages      map[string]cachedPage
	rendering  map[string]*pageRender
	generation uint64 // counts invalidations: a page of an older one is out of date
	// patience is how long a reader with the previous copy waits for a new
	// render (pageRenderPatience; negative: until it is done).
	patience time.Duration
}

// cachedPage is a rendered page with the generation of the data it shows.
type cachedPage struct {
	page       *renderedPage
	generation uint64
}

// pageRender is a render in progress.
type pageRender struct {
	done       chan struct{}
	page       *renderedPage
	err        error
	generation uint64
}

func newPageCache() *pageCache {
	return &pageCache{pages: map[string]cachedPage{}, rendering: map[string]*pageRender{}, patience: pageRenderPatience}
}

// load returns the page under key, rendering it with render when it is
// missing, out of date or expired; see pageCache. With a previous copy, the
// request that starts the render waits for it at most the cache's
// patience, unless waitForNew says it must see the new page.
func (pc *pageCache) load(key string, now time.Time, waitForNew bool, render func() (*renderedPage, error)) (*renderedPage, error) {
	pc.mu.Lock()
	cached, haveCopy := pc.pages[key]
	if haveCopy && cached.generation == pc.generation && now.Before(cached.page.expires) {
		pc.mu.Unlock()
		return cached.page, nil
	}
	// A render begun before the latest write would not show it: only one of
	// the current generation is worth serving or waiting for.
	if r, ok := pc.rendering[key]; ok && r.generation == pc.generation {
		pc.mu.Unlock()
		if haveCopy && !waitForNew && pc.patience >= 0 {
			return cached.page, nil
		}
		<-r.done
		return r.page, r.err
	}
	r := &pageRender{done: make(chan struct{}), generation: pc.generation}
	pc.rendering[key] = r
	pc.mu.Unlock()

	go pc.finish(key, r, render)
	if !haveCopy || waitForNew || pc.patience < 0 {
		<-r.done
		return r.page, r.err
	}
	timer := time.NewTimer(pc.patience)
	defer timer.Stop()
	select {
	case <-r.done:
		return r.page, r.err
	case <-timer.C:
		return cached.page, nil
	}
}

// finish runs render for the page under key and keeps its result as the
// copy, unless a render begun later was kept already. A write that landed
// during the render may not be in it, so the page keeps the generation it
// was begun in and the next request renders afresh; but it is newer than
// the copy before it, so while writes come faster than renders, readers
// still see the page move on instead of the copy from before them all. It
// runs on its own goroutine, so that it completes for later requests when
// the one that started it stops waiting.
func (pc *pageCache) finish(key string, r *pageRender, render func() (*renderedPage, error)) {
	defer func() {
		// On its own goroutine, a panic would stop the server: it becomes
		// the error of the requests for this page instead.
		if v := recover(); v != nil {
			r.page, r.err = nil, fmt.Errorf("rendering the page failed: %v\n%s", v, debug.Stack())
		}
		pc.mu.Lock()
		if pc.rendering[key] == r {
			delete(pc.rendering, key)
		}
		if kept, ok := pc.pages[key]; r.err == nil && (!ok || r.generation >= kept.generation) {
			pc.pages[key] = cachedPage{page: r.page, generation: r.generation}
		}
		pc.mu.Unlock()
		close(r.done)
	}()
	r.page, r.err = render()
}

// invalidate marks every rendered page out of date, so that the next
// request renders it from the new data.
func (pc *pageCache) invalidate() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.generation++
}

// precompressedRoutes are served from the page cache, gzipped in advance,
// so the gzip middleware leaves them alone.
var precompressedRoutes = map[string]bool{"/": true, "/crossings/:slug": true, "/method": true}

// servePage answers a public page from the cache, rendering it with build
// when absent or expired. key names the page's variant (path and options);
// the language is added here.
func (a *App) servePage(c echo.Context, name, key string, build func(ctx context.Context, l *Locale) (pageContent, error)) error {
	l := a.locale(c)
	key = l.Lang() + " " + key
	now := a.now()
	// Whoever may just have changed the data sees the change.
	waitForNew := a.carriesSessionCookie(c)
	// The render is shared by every request waiting for it, so it must not
	// stop when the request that started it goes away; it may also outlive
	// that request, so it takes nothing from c, which Echo reuses.
	base := context.WithoutCancel(c.Request().Context())
	page, err := a.pages.load(key, now, waitForNew, func() (*renderedPage, error) {
		ctx, cancel := context.WithTimeout(base, pageRenderTimeout)
		defer cancel()
		content, err := build(ctx, l)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		// The page is shared by every request with this key, so it names its
		// canonical address (without any other query) for the language menu.
		path := strings.TrimSuffix(strings.TrimPrefix(key, l.Lang()+" "), "?direction=")
		if err := a.renderer.Render(&buf, name, Page{L: l, Path: path, Title: content.Title, Data: content.Data}); err != nil {
			return nil, err
		}
		return newRenderedPage(content, buf.Bytes(), now), nil
	})
	if err != nil {
		return err
	}
	return writePage(c, page)
}

func newRenderedPage(content pageContent, body []byte, now time.Time) *renderedPage {
	sum := sha256.Sum256(body)
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	_, _ = w.Write(body)
	_ = w.Close()
	return &renderedPage{
		status:  content.Status,
		body:    body,
		gzipped: gz.Bytes(),
		// Weak: the plain and the gzip body share it (RFC 9110 8.8.1).
		etag:         `W/"` + hex.EncodeToString(sum[:12]) + `"`,
		lastModified: content.LastModified.UTC().Truncate(time.Second),
		expires:      now.Add(pageTTL),
	}
}

// writePage sends a rendered page, or 304 when the client's copy is current.
func writePage(c echo.Context, p *renderedPage) error {
	h := c.Response().Header()
	h.Set("ETag", p.etag)
	h.Set("Cache-Control", "public, no-cache")
	// The language may also come from the menu's cookie; no Vary: Cookie
	// for it (which would keep shared caches from storing the page at all):
	// every copy is revalidated (no-cache), and each language has its own
	// ETag, so a cache never answers with another language's page.
	h.Set("Vary", "Accept-Encoding, Accept-Language")
	if !p.lastModified.IsZero() {
		h.Set("Last-Modified", p.lastModified.Format(http.TimeFormat))
	}
	if notModified(c.Request(), p) {
		return c.NoContent(http.StatusNotModified)
	}
	body := p.body
	if acceptsGzip(c.Request()) {
		h.Set("Content-Encoding", "gzip")
		body = p.gzipped
	}
	return c.Blob(p.status, echo.MIMETextHTMLCharsetUTF8, body)
}

// notModified applies RFC 9110: If-None-Match wins over If-Modified-Since.
// Any If-None-Match that is not one of our ETags is simply a miss.
func notModified(r *http.Request, p *renderedPage) bool {
	if p.status != http.StatusOK {
		return false
	}
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		return etagMatches(inm, p.etag)
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !p.lastModified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !p.lastModified.After(t) {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
