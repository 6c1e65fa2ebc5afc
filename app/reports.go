package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// The weekly summaries (issue 6): the list at /reports, a week's page at
// /reports/{year}-W{week}, and its stored files at
// /reports/{year}-W{week}.{pdf|xlsx|csv|json}[?crossing=SLUG][&revision=N][&lang=L].
// Files are served as stored when the week was published, never rebuilt;
// the PDF and XLSX in the reader's language (a.locale), the CSV and JSON
// the same for everyone.

// reportContentTypes are the media types of the report formats.
var reportContentTypes = map[string]string{
	"pdf":  "application/pdf",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"csv":  "text/csv; charset=utf-8",
	"json": "application/json",
}

// Cache lifetimes of a download: a named revision never changes; "the
// latest" may become revision N+1 at the next run.
const (
	revisionCacheControl = "public, max-age=31536000, immutable"
	latestCacheControl   = "public, max-age=300"
)

// ReportOptions are what publishing a weekly summary takes from the
// configuration: licence, citation, time zone, and every language the
// site speaks (English first), for the PDF and XLSX in each.
// The weekly-summary job passes them to models.PublishWeeklySummaries.
func (a *App) ReportOptions() models.ReportOptions {
	return reportOptions(a.cfg, a.translator)
}

func reportOptions(cfg Config, tr *Translator) models.ReportOptions {
	var langs []models.ReportLanguage
	for _, l := range tr.Locales() {
		langs = append(langs, l)
	}
	return models.ReportOptions{License: cfg.ReportLicense, Citation: cfg.ReportCitation, Location: cfg.TimeZone, Languages: langs}
}

// weekError turns a refused week into the page error a reader gets: a
// malformed or impossible week is a 400, one not over yet a 404.
func weekError(err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		return err
	}
	f := ve.Fields[0]
	status := http.StatusBadRequest
	if f.Code == "week_not_over" {
		status = http.StatusNotFound
	}
	return &userError{status: status, key: "reports.error_" + f.Code, args: paramArgs(f.Params)}
}

// paramArgs flattens a FieldError's parameters into name, value pairs.
func paramArgs(params map[string]any) []any {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	args := make([]any, 0, 2*len(names))
	for _, name := range names {
		args = append(args, name, params[name])
	}
	return args
}

// parseReportWeek reads a week of the path and refuses one not over yet.
func (a *App) parseReportWeek(s string) (models.ISOWeek, error) {
	week, err := models.ParseISOWeek(s)
	if err == nil {
		err = models.CheckWeekOver(week, a.now(), a.cfg.TimeZone)
	}
	return week, weekError(err)
}

// reportPath answers /reports/{week} (the week's page) and
// /reports/{week}.{format} (a download).
func (a *App) reportPath(c echo.Context) error {
	name, format, download := strings.Cut(c.Param("file"), ".")
	week, err := a.parseReportWeek(name)
	if err != nil {
		return err
	}
	revision, err := parseRevision(c.QueryParam("revision"))
	if err != nil {
		return err
	}
	if download {
		return a.downloadReport(c, week, format, revision)
	}
	return a.showReportWeek(c, week, revision)
}

// parseRevision reads ?revision=; absent means the latest (0).
func parseRevision(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, invalidInput("reports.error_revision", "Value", s)
	}
	return n, nil
}

// downloadReport serves a stored file: its bytes as published, with an
// ETag that is its SHA-256 and a name saying what, which week, which
// revision and (but for English) which language it is.
func (a *App) downloadReport(c echo.Context, week models.ISOWeek, format string, revision int) error {
	ctx, l := c.Request().Context(), a.locale(c)
	contentType, ok := reportContentTypes[format]
	if !ok {
		return &userError{status: http.StatusNotFound, key: "reports.error_format", args: []any{"Value", format}}
	}
	slug := c.QueryParam("crossing")
	if slug != "" {
		if _, err := models.PublicCrossingBySlug(ctx, a.db, slug); errors.Is(err, models.ErrNotFound) {
			return &userError{status: http.StatusNotFound, key: "reports.error_unknown_crossing", args: []any{"Value", slug}}
		} else if err != nil {
			return err
		}
	}
	f, err := models.FindWeeklySummaryFile(ctx, a.db, week, revision, slug, format, l.Lang())
	var notInLang *models.NotInLanguageError
	switch {
	case errors.As(err, &notInLang):
		names := make([]string, len(notInLang.Available))
		for i, lang := range notInLang.Available {
			names[i] = l.T("language." + lang)
		}
		back := "/reports/" + week.String()
		if revision > 0 {
			back += "?revision=" + strconv.Itoa(revision)
		}
		return &userError{status: http.StatusNotFound, key: "reports.error_not_in_language",
			args: []any{"Week", week.String(), "Languages", strings.Join(names, l.T("reports.list_separator"))},
			back: back, backKey: "reports.back_to_week"}
	case errors.Is(err, models.ErrNoSuchRevision):
		return &userError{status: http.StatusNotFound, key: "reports.error_no_revision", args: []any{"Week", week.String(), "Revision", revision}}
	case errors.Is(err, models.ErrNotInRevision):
		return &userError{status: http.StatusNotFound, key: "reports.error_crossing_not_in_revision",
			args: []any{"Crossing", slug, "Revision", revision, "Week", week.String()}}
	case errors.Is(err, models.ErrNotFound):
		return &userError{status: http.StatusNotFound, key: "reports.error_not_published", args: []any{"Week", week.String()}}
	case err != nil:
		return err
	}
	h := c.Response().Header()
	// Weak only because the gzip middleware may send the bytes compressed;
	// the tag is the file's SHA-256 all the same.
	etag := `W/"` + f.SHA256 + `"`
	h.Set("ETag", etag)
	h.Set("Last-Modified", f.GeneratedAt.UTC().Format(http.TimeFormat))
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, reportFileName(week, slug, f.Revision, format, f.Lang)))
	if f.Lang != "" {
		// Without ?lang= the PDF and XLSX follow the reader's language.
		h.Add(echo.HeaderVary, "Accept-Language, Cookie")
	}
	if revision > 0 {
		h.Set(echo.HeaderCacheControl, revisionCacheControl)
	} else {
		h.Set(echo.HeaderCacheControl, latestCacheControl)
	}
	if etagMatches(c.Request().Header.Values("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, f.Content)
}

// reportFileName names a download: borderflow-2026-W47-torkham-r2.pdf,
// and borderflow-2026-W47-torkham-r2-ps.pdf in Pashto.
func reportFileName(week models.ISOWeek, slug string, revision int, format, lang string) string {
	if slug == "" {
		slug = "all-crossings"
	}
	if lang != "" && lang != "en" {
		return fmt.Sprintf("borderflow-%s-%s-r%d-%s.%s", week, slug, revision, lang, format)
	}
	return fmt.Sprintf("borderflow-%s-%s-r%d.%s", week, slug, revision, format)
}

// reportsPage is what /reports shows.
type reportsPage struct {
	Weeks     []reportWeekRow
	Crossings []models.Crossing
	From, To  models.Date // the export form's default range: the last 30 days
}

type reportWeekRow struct {
	models.WeeklySummaryRecord
	From, To models.Date
}

// showReports renders /reports: the published weeks, newest first, with
// their headline numbers, and the form of the range export.
func (a *App) showReports(c echo.Context) error {
	ctx, l := c.Request().Context(), a.locale(c)
	list, err := models.WeeklySummaryList(ctx, a.db)
	if err != nil {
		return err
	}
	crossings, err := models.ActiveCrossings(ctx, a.db)
	if err != nil {
		return err
	}
	today := models.DateOf(a.now(), a.cfg.TimeZone)
	p := reportsPage{Crossings: crossings, From: today.AddDays(-29), To: today}
	for _, rec := range list {
		p.Weeks = append(p.Weeks, reportWeekRow{WeeklySummaryRecord: rec, From: rec.WeekStart, To: rec.WeekStart.AddDays(6)})
	}
	return a.renderReportPage(c, "reports", l.T("reports.list_title"), p)
}

// renderReportPage renders a report page, which a browser may keep but
// must check again (a new week or revision may have been published).
// These pages are rendered per request: they are a few small queries,
// and the page cache serves only the routes it gzips in advance.
func (a *App) renderReportPage(c echo.Context, name, title string, data any) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, no-cache")
	return a.render(c, http.StatusOK, name, title, data)
}

// reportWeekPage is what a week's page shows.
type reportWeekPage struct {
	Week      string
	Summary   models.WeeklySummary
	Record    models.WeeklySummaryRecord
	Count     int  // revisions published
	Older     bool // not the latest revision
	Revisions []reportRevision
	Downloads []reportDownloadRow
	Formats   []string
	Location  *time.Location // where the dates of generation are told
}

type reportRevision struct {
	models.WeeklySummaryRecord
	Changes []models.SummaryChange
	Current bool
}

// reportDownloadRow is one line of the downloads table: all crossings or
// one, with its files in the page's language (and the language-neutral
// ones), then its PDFs in the other languages.
type reportDownloadRow struct {
	Name   string
	Files  []reportDownload
	Others []reportDownload
}

type reportDownload struct {
	Format, Lang, URL, SHA256 string
}

// showReportWeek renders a week's page: the summary of the revision asked
// for (the latest by default), every revision with what it changed, and
// the downloads of the revision with their checksums.
func (a *App) showReportWeek(c echo.Context, week models.ISOWeek, revision int) error {
	ctx, l := c.Request().Context(), a.locale(c)
	revisions, err := models.WeeklySummaryRevisions(ctx, a.db, week)
	if err != nil {
		return err
	}
	if len(revisions) == 0 {
		return &userError{status: http.StatusNotFound, key: "reports.error_not_published", args: []any{"Week", week.String()}}
	}
	chosen := 0
	if revision > 0 {
		chosen = slices.IndexFunc(revisions, func(r models.WeeklySummaryRecord) bool { return r.Revision == revision })
		if chosen < 0 {
			return &userError{status: http.StatusNotFound, key: "reports.error_no_revision",
				args: []any{"Week", week.String(), "Revision", revision}}
		}
	}
	rec := revisions[chosen]
	summary, err := rec.Summary()
	if err != nil {
		return err
	}
	files, err := models.WeeklySummaryFiles(ctx, a.db, rec.ID)
	if err != nil {
		return err
	}
	p := reportWeekPage{Week: week.String(), Summary: summary, Record: rec, Count: len(revisions), Older: chosen > 0,
		Formats: models.ReportFormats, Location: a.cfg.TimeZone}
	for i, r := range revisions {
		p.Revisions = append(p.Revisions, reportRevision{WeeklySummaryRecord: r, Changes: r.ParsedChanges(), Current: i == chosen})
	}
	p.Downloads = append(p.Downloads, downloadRow(l.T("reports.all_crossings"), "", week, rec.Revision, l.Lang(), files))
	for _, cw := range summary.Crossings {
		p.Downloads = append(p.Downloads, downloadRow(cw.Name, cw.Slug, week, rec.Revision, l.Lang(), files))
	}
	return a.renderReportPage(c, "report_week", l.T("reports.week_title", "Week", l.Code(week.String())), p)
}

// downloadRow lists a crossing's files of a revision ("" for all
// crossings): each format in lang or language-neutral, then the PDFs in
// the other languages stored.
func downloadRow(name, slug string, week models.ISOWeek, revision int, lang string, files []models.WeeklySummaryFile) reportDownloadRow {
	row := reportDownloadRow{Name: name}
	for _, format := range models.ReportFormats {
		for _, f := range files {
			if f.Crossing != slug || f.Format != format {
				continue
			}
			url := fmt.Sprintf("/reports/%s.%s?revision=%d", week, format, revision)
			if slug != "" {
				url += "&crossing=" + slug
			}
			if f.Lang != "" {
				url += "&lang=" + f.Lang
			}
			d := reportDownload{Format: format, Lang: f.Lang, URL: url, SHA256: f.SHA256}
			switch {
			case f.Lang == "" || f.Lang == lang:
				row.Files = append(row.Files, d)
			case format == "pdf":
				row.Others = append(row.Others, d)
			}
		}
	}
	return row
}
