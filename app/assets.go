package app

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// Assets serves the embedded static files under content-hash URLs
// (/static/HASH/NAME), so that they can be cached for a year and a new
// release is never hidden by an old cached copy.
type Assets struct {
	files  fs.FS
	hashes map[string]string // file name under static/ → first 12 hex digits of its SHA-256
	// rewritten holds the stylesheets as served, their url(...)s hashed.
	rewritten map[string][]byte
}

// NewAssets hashes every file under static/. A stylesheet's url(...) of
// another static file is rewritten to that file's hashed URL (and the
// stylesheet hashed as rewritten), so that fonts are cached as immutable too.
func NewAssets(files fs.FS) (*Assets, error) {
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	a := &Assets{files: static, hashes: map[string]string{}, rewritten: map[string][]byte{}}
	var stylesheets []string
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if path.Ext(p) == ".css" {
			stylesheets = append(stylesheets, p)
			return nil
		}
		data, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		a.hashes[p] = contentHash(data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range stylesheets {
		data, err := fs.ReadFile(static, p)
		if err != nil {
			return nil, err
		}
		data = cssURL.ReplaceAllFunc(data, func(m []byte) []byte {
			target := path.Join(path.Dir(p), string(cssURL.FindSubmatch(m)[1]))
			if u := a.URL(target); u != "" {
				return []byte("url(" + u + ")")
			}
			return m
		})
		a.rewritten[p] = data
		a.hashes[p] = contentHash(data)
	}
	return a, nil
}

// cssURL finds a stylesheet's relative url(...) references.
var cssURL = regexp.MustCompile(`url\(([a-zA-Z0-9_./-]+)\)`)

func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12]
}

// URL returns the cache-busting URL of a static file, or "" when there is
// no such file (which a page test catches).
func (a *Assets) URL(name string) string {
	hash, ok := a.hashes[name]
	if !ok {
		return ""
	}
	return "/static/" + hash + "/" + name
}

// serve answers /static/:hash/*. A current hash is cached as immutable; an
// old one (a page cached before a release) still gets the file, briefly cached.
func (a *Assets) serve(c echo.Context) error {
	name := path.Clean(strings.TrimPrefix(c.Param("*"), "/"))
	hash, ok := a.hashes[name]
	if !ok {
		return echo.ErrNotFound
	}
	if c.Param("hash") == hash {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
	}
	c.Response().Header().Set("ETag", `"`+hash+`"`)
	if match := c.Request().Header.Get("If-None-Match"); match == `"`+hash+`"` {
		return c.NoContent(http.StatusNotModified)
	}
	data, ok := a.rewritten[name]
	if !ok {
		var err error
		if data, err = fs.ReadFile(a.files, name); err != nil {
			return echo.ErrNotFound
		}
	}
	contentType := mime.TypeByExtension(path.Ext(name))
	if contentType == "" {
		contentType = echo.MIMEOctetStream
	}
	return c.Blob(http.StatusOK, contentType, data)
}
