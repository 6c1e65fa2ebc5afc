package app

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"borderflow/models"
)

// openAPIDocument describes the read API; a test holds it to the handlers.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// readMethods are the methods of the read API and the feeds.
var readMethods = []string{http.MethodGet, http.MethodHead}

// The default ranges of the read API, ending today at the crossing.
const (
	figuresDefaultDays = 30
	historyDefaultDays = 90
)

// unitLoadedTrucks names the unit of every truck count the API gives.
const unitLoadedTrucks = "loaded_trucks"

// apiCacheControl lets browsers and proxies reuse an answer for a minute:
// statuses change in hours, and the ETag makes a check after that cheap.
const apiCacheControl = "public, max-age=60"

// figuresCSVHeader names the columns of the figures download; they are those
// of the figures import where the two share a column.
var figuresCSVHeader = []string{"date", "crossing", "direction", "category", "regime", "trucks", "tonnes", "value_usd", "verified"}

// apiCORS lets any web page read the API: it is public, answers GET and
// HEAD only, and never uses cookies, so no credentials are allowed.
func apiCORS() echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  []string{"*"},
		AllowMethods:  readMethods,
		AllowHeaders:  []string{"If-None-Match"},
		ExposeHeaders: []string{"ETag", "Retry-After", "Content-Disposition"},
		MaxAge:        86400,
	})
}

// instant is how the API writes an instant: RFC 3339 in UTC, to the second.
type instant time.Time

// MarshalJSON writes the instant as an RFC 3339 string in UTC.
func (t instant) MarshalJSON() ([]byte, error) { return json.Marshal(rfc3339UTC(time.Time(t))) }

func rfc3339UTC(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// apiCrossing is one crossing in the API: where it is, its status now and
// its latest reported day.
type apiCrossing struct {
	Slug        string        `json:"slug"`
	Name        string        `json:"name"`
	AfghanSide  string        `json:"afghan_side"`
	Province    string        `json:"province"`
	Latitude    float64       `json:"latitude"`
	Longitude   float64       `json:"longitude"`
	TimeZone    string        `json:"time_zone"`
	Hours       string        `json:"hours"`
	RecordsFrom models.Date   `json:"records_from"`
	Status      *apiStatus    `json:"status"`
	LatestDay   *apiLatestDay `json:"latest_day"`
	LastUpdated *instant      `json:"last_updated"`
}

// apiStatus is a status change: the state it set, since when, and why.
type apiStatus struct {
	State       string  `json:"state"`
	Scope       *string `json:"scope"`
	Reason      *string `json:"reason"`
	Note        string  `json:"note"`
	EffectiveAt instant `json:"effective_at"`
	RecordedAt  instant `json:"recorded_at"`
}

// apiLatestDay is a crossing's loaded trucks on its latest reported day.
type apiLatestDay struct {
	Date          models.Date `json:"date"`
	ToAfghanistan int         `json:"to_afghanistan"`
	ToPakistan    int         `json:"to_pakistan"`
	Unit          string      `json:"unit"`
}

func newAPICrossing(e models.BoardEntry) apiCrossing {
	c := e.Crossing
	out := apiCrossing{
		Slug: c.Slug, Name: c.Name, AfghanSide: c.AfghanSide, Province: c.Province,
		Latitude: c.Latitude, Longitude: c.Longitude, TimeZone: c.TimeZone, Hours: c.Hours,
		RecordsFrom: c.RecordsFrom,
	}
	if e.Status != nil {
		s := newAPIStatus(*e.Status)
		out.Status = &s
	}
	if e.Latest != nil {
		out.LatestDay = &apiLatestDay{Date: e.Latest.Day, ToAfghanistan: e.Latest.ToAfghanistan,
			ToPakistan: e.Latest.ToPakistan, Unit: unitLoadedTrucks}
	}
	if !e.LastUpdated.IsZero() {
		t := instant(e.LastUpdated)
		out.LastUpdated = &t
	}
	return out
}

func newAPIStatus(s models.StatusChange) apiStatus {
	out := apiStatus{State: string(s.State), Note: s.Note,
		EffectiveAt: instant(s.EffectiveAt), RecordedAt: instant(s.RecordedAt)}
	if s.Scope != nil {
		scope := string(*s.Scope)
		out.Scope = &scope
	}
	if s.Reason != nil {
		reason := string(*s.Reason)
		out.Reason = &reason
	}
	return out
}

// apiListCrossings answers GET /api/v1/crossings: every public crossing
// with its status now.
func (a *App) apiListCrossings(c echo.Context) error {
	entries, err := models.Board(c.Request().Context(), a.db, a.now())
	if err != nil {
		return err
	}
	list := make([]apiCrossing, len(entries))
	for i, e := range entries {
		list[i] = newAPICrossing(e)
	}
	return a.sendJSON(c, struct {
		Crossings []apiCrossing `json:"crossings"`
	}{list})
}

// apiShowCrossing answers GET /api/v1/crossings/{slug}.
func (a *App) apiShowCrossing(c echo.Context) error {
	slug := c.Param("slug")
	entry, err := models.CrossingBoard(c.Request().Context(), a.db, slug, a.now())
	if errors.Is(err, models.ErrNotFound) {
		return unknownCrossing(slug)
	}
	if err != nil {
		return err
	}
	return a.sendJSON(c, newAPICrossing(entry))
}

// apiFigure is one stored daily figure. Loaded is false for empty trucks
// returning (category empty), which are never loaded trucks.
type apiFigure struct {
	Date      models.Date `json:"date"`
	Direction string      `json:"direction"`
	Category  string      `json:"category"`
	Loaded    bool        `json:"loaded"`
	Regime    string      `json:"regime"`
	Trucks    int         `json:"trucks"`
	Tonnes    *float64    `json:"tonnes"`
	ValueUSD  *float64    `json:"value_usd"`
	Verified  bool        `json:"verified"`
}

// apiCrossingFigures answers GET /api/v1/crossings/{slug}/figures, in JSON
// or, with format=csv, as a CSV download.
func (a *App) apiCrossingFigures(c echo.Context) error {
	ctx := c.Request().Context()
	crossing, err := a.apiCrossingParam(c)
	if err != nil {
		return err
	}
	q, err := parseRangeQuery(c.QueryParams(), a.rangeRules(crossing, figuresDefaultDays, "json", "csv"))
	if err != nil {
		return err
	}
	rows, err := models.FiguresInRange(ctx, a.db, crossing.ID, q.Range)
	if err != nil {
		return err
	}
	if q.Format == "csv" {
		return a.sendFiguresCSV(c, crossing, q.Range, rows)
	}
	return a.sendCacheable(c, echo.MIMEApplicationJSON, encodeFiguresJSON(crossing.Slug, q.Range, rows))
}

// encodeFiguresJSON encodes the figures answer, field for field what
// json.Marshal makes of {crossing, from, to, unit, figures: []apiFigure}
// (a test holds the two equal). It is written by hand because a year is
// about 20,000 figures and encoding/json, with its reflection and a
// MarshalText per date, took longer over them than the database.
func encodeFiguresJSON(slug string, r models.DateRange, rows []models.FigureRow) []byte {
	b := make([]byte, 0, 128+180*len(rows))
	b = append(b, `{"crossing":`...)
	b = appendJSONString(b, slug)
	b = append(b, `,"from":`...)
	b = appendJSONString(b, r.From.String())
	b = append(b, `,"to":`...)
	b = appendJSONString(b, r.To.String())
	b = append(b, `,"unit":"`+unitLoadedTrucks+`","figures":[`...)
	for i, f := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"date":`...)
		b = appendJSONString(b, f.Day.String())
		b = append(b, `,"direction":`...)
		b = appendJSONString(b, string(f.Direction))
		b = append(b, `,"category":`...)
		b = appendJSONString(b, f.CategoryCode)
		b = append(b, `,"loaded":`...)
		b = strconv.AppendBool(b, f.Loaded)
		b = append(b, `,"regime":`...)
		b = appendJSONString(b, string(f.Regime))
		b = append(b, `,"trucks":`...)
		b = strconv.AppendInt(b, int64(f.Trucks), 10)
		b = append(b, `,"tonnes":`...)
		b = appendJSONNumber(b, f.Tonnes)
		b = append(b, `,"value_usd":`...)
		b = appendJSONNumber(b, f.ValueUSD)
		b = append(b, `,"verified":`...)
		b = strconv.AppendBool(b, f.Verified)
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

// appendJSONString appends s as a JSON string. Codes and dates, plain
// ASCII, are copied as they are; anything else goes through encoding/json,
// which escapes as the rest of the API does.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s)
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONNumber appends *v as a JSON number, or null (also for the
// NaN a PostgreSQL numeric can hold, which JSON cannot).
func appendJSONNumber(b []byte, v *float64) []byte {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return append(b, "null"...)
	}
	if abs := math.Abs(*v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		// encoding/json writes these with an exponent; let it.
		encoded, _ := json.Marshal(*v)
		return append(b, encoded...)
	}
	return strconv.AppendFloat(b, *v, 'f', -1, 64)
}

// sendFiguresCSV writes the figures as a CSV download. Every text cell is a
// code the database constrains to letters, digits, _ and -, so none can
// start a spreadsheet formula.
func (a *App) sendFiguresCSV(c echo.Context, crossing models.Crossing, r models.DateRange, rows []models.FigureRow) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(figuresCSVHeader)
	optional := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	for _, row := range rows {
		_ = w.Write([]string{row.Day.String(), crossing.Slug, string(row.Direction), row.CategoryCode, string(row.Regime),
			strconv.Itoa(row.Trucks), optional(row.Tonnes), optional(row.ValueUSD), strconv.FormatBool(row.Verified)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write figures CSV of %s: %w", crossing.Slug, err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition,
		fmt.Sprintf(`attachment; filename="%s-figures-%s-%s.csv"`, crossing.Slug, r.From, r.To))
	return a.sendCacheable(c, "text/csv; charset=utf-8", buf.Bytes())
}

// apiStatusHistory answers GET /api/v1/crossings/{slug}/status-history: the
// changes in effect during the days asked for, starting with the one in
// effect at the start of the first day.
func (a *App) apiStatusHistory(c echo.Context) error {
	crossing, err := a.apiCrossingParam(c)
	if err != nil {
		return err
	}
	q, err := parseRangeQuery(c.QueryParams(), a.rangeRules(crossing, historyDefaultDays, "json"))
	if err != nil {
		return err
	}
	loc := crossing.Location()
	start, end := q.Range.From.Start(loc), q.Range.To.AddDays(1).Start(loc)
	// Only changes in effect by now, as on the board: one recorded in advance
	// shows once it takes effect. Instants are kept to the microsecond.
	if inEffect := a.now().Add(time.Microsecond); end.After(inEffect) {
		end = inEffect
	}
	if start.After(end) {
		start = end
	}
	changes, err := models.StatusHistory(c.Request().Context(), a.db, crossing.ID, start, end)
	if err != nil {
		return err
	}
	list := make([]apiStatus, len(changes))
	for i, s := range changes {
		list[i] = newAPIStatus(s)
	}
	return a.sendJSON(c, struct {
		Crossing string      `json:"crossing"`
		From     models.Date `json:"from"`
		To       models.Date `json:"to"`
		Changes  []apiStatus `json:"changes"`
	}{crossing.Slug, q.Range.From, q.Range.To, list})
}

// serveOpenAPI answers GET /api/openapi.yaml.
func (a *App) serveOpenAPI(c echo.Context) error {
	return a.sendCacheable(c, "application/yaml", openAPIDocument)
}

// apiCrossingParam finds the public crossing named by the path's slug.
func (a *App) apiCrossingParam(c echo.Context) (models.Crossing, error) {
	slug := c.Param("slug")
	crossing, err := models.PublicCrossingBySlug(c.Request().Context(), a.db, slug)
	if errors.Is(err, models.ErrNotFound) {
		return models.Crossing{}, unknownCrossing(slug)
	}
	return crossing, err
}

func unknownCrossing(slug string) *requestError {
	return &requestError{status: http.StatusNotFound,
		message: fmt.Sprintf("there is no crossing %s; GET /api/v1/crossings lists them", quoteValue(slug))}
}

// rangeRules are the limits of a date range asked of crossing, as of now.
func (a *App) rangeRules(crossing models.Crossing, defaultDays int, formats ...string) rangeRules {
	return rangeRules{Today: models.DateOf(a.now(), crossing.Location()), RecordsFrom: crossing.RecordsFrom,
		DefaultDays: defaultDays, Formats: formats}
}

// sendJSON writes v as the JSON answer, with an ETag.
func (a *App) sendJSON(c echo.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", c.Path(), err)
	}
	return a.sendCacheable(c, echo.MIMEApplicationJSON, append(body, '\n'))
}

// maxIfNoneMatch bounds the If-None-Match header worth reading: a client
// holds a handful of ETags, not thousands.
const maxIfNoneMatch = 8 << 10

// sendCacheable writes a 200 answer with an ETag (a hash of the body) and
// a minute's caching, or a 304 without the body when the client already
// holds it. The ETag is weak because the gzip middleware may send the
// bytes compressed.
func (a *App) sendCacheable(c echo.Context, contentType string, body []byte) error {
	sum := sha256.Sum256(body)
	etag := `W/"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, apiCacheControl)
	h.Set("ETag", etag)
	if etagMatches(c.Request().Header.Values("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// etagMatches reports whether If-None-Match lists etag, comparing weakly
// as RFC 9110 asks of GET. Anything it cannot match, however long or
// garbled, is simply a miss.
func etagMatches(ifNoneMatch []string, etag string) bool {
	size := 0
	for _, v := range ifNoneMatch {
		size += len(v)
	}
	if size == 0 || size > maxIfNoneMatch {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, v := range ifNoneMatch {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
				return true
			}
		}
	}
	return false
}

// writeRequestError answers a requestError in the API's error shape; the
// feeds' clients are programs too, so they get the same.
func (a *App) writeRequestError(c echo.Context, e *requestError) {
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(e.status)
		return
	}
	_ = c.JSON(e.status, apiError{Error: apiErrorBody{Code: errorCode(e.status), Message: e.message, Fields: e.fields}})
}

// errorCode is the error shape's code for a status: its name in snake case
// (bad_request, not_found, too_many_requests).
func errorCode(status int) string {
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}
