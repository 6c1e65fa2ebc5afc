package app

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// Renderer holds every page's template, parsed once at start-up with the
// layout and partials, so that a broken template stops the start, not a request.
type Renderer struct {
	pages map[string]*template.Template
}

// NewRenderer parses templates/layout.html, templates/partials/*.html and
// each templates/pages/NAME.html into the page NAME.
func NewRenderer(files fs.FS, assets *Assets) (*Renderer, error) {
	funcs := template.FuncMap{"asset": assets.URL, "withL": withLocale, "inc": func(n int) int { return n + 1 }, "count": newCount,
		"round": func(v float64) int { return int(math.Round(v)) },
		// mirror is x seen from the other side of a chart width wide: in a
		// right-to-left page time runs from right to left.
		"mirror": func(width, x float64) float64 { return width - x }}
	shared := []string{"templates/layout.html"}
	if partials, _ := fs.Glob(files, "templates/partials/*.html"); len(partials) > 0 {
		shared = append(shared, "templates/partials/*.html")
	}
	pageFiles, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil || len(pageFiles) == 0 {
		return nil, fmt.Errorf("no page templates found in templates/pages")
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, f := range pageFiles {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, append(shared, f)...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", f, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Render executes a page into a buffer first, so that a failing template
// never sends half a page.
func (r *Renderer) Render(w io.Writer, name string, data any) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Page is what every page template receives: the locale as .L, the page's
// own data as .Data. On staff routes it also carries the signed-in user
// (for the navigation) and the CSRF token every form must send back as
// <input type="hidden" name="_csrf" value="{{$.CSRF}}">; on public pages,
// which are cached for everybody, both are empty.
type Page struct {
	L *Locale
	// Path is the page's own address, where the language menu comes back to.
	Path      string
	Title     string
	RequestID string
	Data      any
	CSRF      string
	User      *models.User
}

// render writes the page with status code, in the request's language.
func (a *App) render(c echo.Context, code int, name, title string, data any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(code)
	return a.renderer.Render(c.Response(), name, Page{
		L:         a.locale(c),
		Path:      c.Request().URL.RequestURI(),
		Title:     title,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
		Data:      data,
		CSRF:      csrfToken(c),
		User:      currentUser(c),
	})
}

// Duration says how long d is in days and hours (minutes under an hour).
func (l *Locale) Duration(d time.Duration) string {
	if d < time.Hour {
		return l.N("duration.minutes", int(d/time.Minute))
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days == 0:
		return l.N("duration.hours", hours)
	case hours == 0:
		return l.N("duration.days", days)
	}
	return l.N("duration.days", days) + " " + l.N("duration.hours", hours)
}

// count is a number of trucks that may not have been reported: a missing
// report is never shown as zero.
type count struct {
	Reported bool
	N        int
}

func newCount(reported bool, n int) count { return count{Reported: reported, N: n} }

// localized pairs a value with the locale, for partials that need both
// (a template call passes a single value).
type localized struct {
	L *Locale
	D any
}

func withLocale(l *Locale, d any) localized { return localized{L: l, D: d} }
