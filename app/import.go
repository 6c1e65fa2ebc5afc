package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// Limits of an upload on the import page. A year of figures for ten
// crossings is about 20 MB of CSV; a file over the limit is split.
const (
	maxImportFileBytes = 50 << 20
	// maxImportBodyBytes leaves room for the multipart framing and the
	// form's other fields.
	maxImportBodyBytes = maxImportFileBytes + 64<<10
	// uploadMemory is the most of an upload held in memory; the rest is
	// streamed to a temporary file as it arrives.
	uploadMemory = 256 << 10
	// importUploadTTL is how long a checked file waits for its commit.
	importUploadTTL = time.Hour
	// importTimeout bounds an import run from the page, beyond the usual
	// request timeout: a file of a million rows takes a minute or two.
	importTimeout = 10 * time.Minute
	// importPreviewRows is how many rows the page shows as read.
	importPreviewRows = 10
)

// importPath is the import page; it bounds its own request bodies, so the
// global limit skips it (middleware.go).
const importPath = "/admin/import"

// ownBodyLimit lists the routes that limit their request bodies themselves.
var ownBodyLimit = map[string]bool{importPath: true}

// importKinds are the kinds of import in the order the page offers them.
var importKinds = []models.ImportKind{models.ImportFigures, models.ImportStatus}

// importProblem is one problem of an import file as a reader sees it:
// where it is and what is wrong.
type importProblem struct {
	Where   string
	Message string
}

// importView is an import's report as the page and the command line show it.
type importView struct {
	FileName     string
	Kind         models.ImportKind
	Report       models.ImportReport
	Summary      string
	Notes        []string
	Problems     []importProblem
	MoreProblems string
	Warnings     []importProblem
	MoreWarnings string
}

// newImportView words a report in the reader's language.
func newImportView(l *Locale, r models.ImportReport) importView {
	v := importView{FileName: r.FileName, Kind: r.Kind, Report: r}
	if r.OK() {
		v.Summary = l.T("import.summary", "File", r.FileName, "Rows", l.Number(r.Rows), "Inserted", l.Number(r.Inserted),
			"Updated", l.Number(r.Updated), "Unchanged", l.Number(r.Unchanged))
	} else {
		// The rows were not compared with what is stored: only how many there were.
		v.Summary = l.T("import.summary_refused", "File", r.FileName, "Rows", l.Number(r.Rows), "Problems", l.Number(r.ErrorCount))
	}
	for _, n := range []struct {
		key   string
		count int
	}{{"import.days_changed", r.DaysChanged}, {"import.days_unverified", r.DaysUnverified},
		{"import.over_limit_confirmed", r.OverLimitConfirmed}, {"import.windows1252", r.Windows1252Rows}} {
		if n.count > 0 && (r.OK() || n.key == "import.windows1252") {
			v.Notes = append(v.Notes, l.T(n.key, "Count", l.Number(n.count)))
		}
	}
	v.Problems, v.MoreProblems = importProblems(l, r.Errors, r.ErrorCount)
	v.Warnings, v.MoreWarnings = importProblems(l, r.Warnings, r.WarningCount)
	return v
}

// importProblems words the problems listed, and says how many more there are.
func importProblems(l *Locale, list []models.ImportError, total int) ([]importProblem, string) {
	out := make([]importProblem, len(list))
	for i, e := range list {
		out[i] = importProblem{Where: importWhere(l, e), Message: validationMessage(l, e.FieldError, importLabel(l, e))}
	}
	more := ""
	if total > len(list) {
		more = l.T("import.more_problems", "More", l.Number(total-len(list)), "Total", l.Number(total))
	}
	return out, more
}

// importWhere says where in the file a problem is: its line and column.
func importWhere(l *Locale, e models.ImportError) string {
	if e.Column > 0 {
		return l.T("import.where_column", "Line", l.Number(e.Line), "Column", e.Column, "Name", e.Field)
	}
	return l.T("import.where_line", "Line", l.Number(e.Line))
}

// importLabel names what a problem is about, for its message.
func importLabel(l *Locale, e models.ImportError) string {
	switch {
	case e.Code == "csv_empty" || e.Code == "csv_utf16":
		return l.T("import.label_file")
	case e.Code == "unknown_column" || e.Code == "duplicate_column" || e.Code == "missing_column":
		return l.T("import.label_header")
	case e.Field == "":
		return l.T("import.label_row")
	}
	return e.Field
}

// keptUpload describes a checked file kept for its commit, bound to the
// administrator who uploaded it.
type keptUpload struct {
	UserID   int64             `json:"user_id"`
	Kind     models.ImportKind `json:"kind"`
	FileName string            `json:"file_name"`
	Confirm  bool              `json:"confirm"`
	Created  time.Time         `json:"created"`
}

// uploadID is the shape of a kept file's name: 32 hex digits, so that an
// ID from a form can never name another path.
var uploadID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// defaultUploadDir is where checked files wait for their commit. Each
// replica keeps its own: behind a load balancer without sticky sessions a
// commit may land on another replica, which then asks for the file again.
func defaultUploadDir() string { return filepath.Join(os.TempDir(), "borderflow-imports") }

// uploadDir returns the App's upload directory, created if need be.
func (a *App) uploadDir() (string, error) {
	dir := a.uploads
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the upload directory: %w", err)
	}
	return dir, nil
}

// keepUpload copies an uploaded file into the upload directory under a
// new random ID, with its description beside it, and clears away the
// files whose time has passed.
func (a *App) keepUpload(src io.Reader, meta keptUpload) (string, error) {
	dir, err := a.uploadDir()
	if err != nil {
		return "", err
	}
	sweepUploads(dir, time.Now())
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	f, err := os.OpenFile(filepath.Join(dir, id+".csv"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("keep the upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(src, maxImportFileBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxImportFileBytes {
		err = errUploadTooLarge
	}
	if err == nil {
		var desc []byte
		desc, err = json.Marshal(meta)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, id+".json"), desc, 0o600)
		}
	}
	if err != nil {
		a.dropUpload(id)
		return "", err
	}
	return id, nil
}

// errUploadTooLarge is a file over maxImportFileBytes.
var errUploadTooLarge = errors.New("the file is too large")

// errUploadGone is a commit of a file that is not kept (any more) for the
// user: expired, committed already, or kept by another replica.
var errUploadGone = errors.New("the checked file is no longer kept")

// openUpload opens a kept file for the user who uploaded it, within its time.
func (a *App) openUpload(id string, userID int64) (*os.File, keptUpload, error) {
	if !uploadID.MatchString(id) {
		return nil, keptUpload{}, errUploadGone
	}
	dir, err := a.uploadDir()
	if err != nil {
		return nil, keptUpload{}, err
	}
	var meta keptUpload
	desc, err := os.ReadFile(filepath.Join(dir, id+".json"))
	if err != nil || json.Unmarshal(desc, &meta) != nil || meta.UserID != userID || a.now().Sub(meta.Created) > importUploadTTL {
		return nil, keptUpload{}, errUploadGone
	}
	f, err := os.Open(filepath.Join(dir, id+".csv"))
	if err != nil {
		return nil, keptUpload{}, errUploadGone
	}
	return f, meta, nil
}

// dropUpload removes a kept file and its description.
func (a *App) dropUpload(id string) {
	if dir, err := a.uploadDir(); err == nil && uploadID.MatchString(id) {
		_ = os.Remove(filepath.Join(dir, id+".csv"))
		_ = os.Remove(filepath.Join(dir, id+".json"))
	}
}

// sweepUploads removes the kept files older than importUploadTTL, by the
// file system's clock.
func sweepUploads(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > importUploadTTL {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// adminImportPage is the import page: the upload form, and the report of
// the file checked or imported.
type adminImportPage struct {
	Kinds   []models.ImportKind
	Columns map[models.ImportKind]string // each kind's columns, optional ones in brackets
	Kind    models.ImportKind
	Confirm bool
	MaxMB   int
	Error   string // what is wrong with the upload itself
	View    *importView
	Upload  string // the kept file's ID, when it may be imported
	Done    bool   // the import was written
}

// renderImportPage renders the import page with the form as given.
func (a *App) renderImportPage(c echo.Context, status int, page adminImportPage) error {
	page.Kinds, page.MaxMB = importKinds, maxImportFileBytes>>20
	page.Columns = map[models.ImportKind]string{}
	for _, k := range importKinds {
		required, optional := models.ImportColumns(k)
		cols := strings.Join(required, ",")
		for _, o := range optional {
			cols += "[," + o + "]"
		}
		page.Columns[k] = cols
	}
	if page.Kind == "" {
		page.Kind = models.ImportFigures
	}
	return a.render(c, status, "admin_import", a.locale(c).T("import.title"), page)
}

// showImport renders GET /admin/import.
func (a *App) showImport(c echo.Context) error {
	return a.renderImportPage(c, http.StatusOK, adminImportPage{})
}

// receiveUpload reads a multipart upload of at most maxImportBodyBytes
// before the CSRF check looks for its token among the form's fields: the
// file goes to a temporary file as it arrives (never more than
// uploadMemory of it in memory), and a body over the limit is refused
// before it is read. It goes after the role check, so that only
// administrators can make the server store anything.
func (a *App) receiveUpload(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Pages shown before the CSRF check (a refusal) keep the token of
		// the CSRF cookie in their forms, as the check itself would.
		if cookie, err := c.Cookie(cookieName("bf_csrf", a.servedOverTLS())); err == nil {
			c.Set(ctxCSRF, cookie.Value)
		}
		r := c.Request()
		if r.ContentLength > maxImportBodyBytes {
			return a.uploadTooLarge(c)
		}
		// A large file on a slow line takes longer than the server's usual deadlines.
		rc := http.NewResponseController(c.Response())
		_ = rc.SetReadDeadline(time.Now().Add(importTimeout))
		_ = rc.SetWriteDeadline(time.Now().Add(importTimeout + time.Minute))
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxImportBodyBytes)
		if err := r.ParseMultipartForm(uploadMemory); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return a.uploadTooLarge(c)
			}
			return invalidInput("import.unreadable_upload")
		}
		return next(c)
	}
}

// uploadTooLarge refuses an upload over the limit, saying what the limit is.
func (a *App) uploadTooLarge(c echo.Context) error {
	a.log.Warn("upload refused", "reason", "too_large", "length", c.Request().ContentLength, "request_id", requestID(c))
	return &userError{status: http.StatusRequestEntityTooLarge, key: "import.too_large", args: []any{"Max", maxImportFileBytes >> 20}}
}

// checkImport handles POST /admin/import: the uploaded file is kept and
// checked by a dry run, and the page shows its first rows and every
// problem, with a button to import it when there are none.
func (a *App) checkImport(c echo.Context) error {
	l, u := a.locale(c), currentUser(c)
	page := adminImportPage{Kind: models.ImportKind(c.FormValue("kind")), Confirm: c.FormValue("confirm") == "1"}
	kind, err := models.ParseImportKind(string(page.Kind))
	if err != nil {
		page.Kind, page.Error = "", l.T("import.choose_kind")
		return a.renderImportPage(c, http.StatusUnprocessableEntity, page)
	}
	var header *multipart.FileHeader
	if form := c.Request().MultipartForm; form != nil && len(form.File["file"]) == 1 {
		header = form.File["file"][0]
	}
	if header == nil || header.Size == 0 {
		page.Error = l.T("import.choose_file")
		return a.renderImportPage(c, http.StatusUnprocessableEntity, page)
	}
	src, err := header.Open()
	if err != nil {
		return fmt.Errorf("open the upload: %w", err)
	}
	defer src.Close()
	meta := keptUpload{UserID: u.ID, Kind: kind, FileName: filepath.Base(header.Filename), Confirm: page.Confirm, Created: a.now()}
	id, err := a.keepUpload(src, meta)
	if errors.Is(err, errUploadTooLarge) {
		return a.uploadTooLarge(c)
	}
	if err != nil {
		return err
	}
	view, err := a.runImport(c, id, meta, true)
	if err != nil {
		a.dropUpload(id)
		return err
	}
	page.View = view
	if !view.Report.OK() {
		a.dropUpload(id)
		return a.renderImportPage(c, http.StatusUnprocessableEntity, page)
	}
	page.Upload = id
	return a.renderImportPage(c, http.StatusOK, page)
}

// commitImport handles POST /admin/import/commit: the file checked before
// is imported, all or nothing, and forgotten.
func (a *App) commitImport(c echo.Context) error {
	l, u := a.locale(c), currentUser(c)
	id := c.FormValue("upload")
	f, meta, err := a.openUpload(id, u.ID)
	if errors.Is(err, errUploadGone) {
		return a.renderImportPage(c, http.StatusGone, adminImportPage{Error: l.T("import.upload_gone", "Minutes", int(importUploadTTL/time.Minute))})
	}
	if err != nil {
		return err
	}
	_ = f.Close()
	view, err := a.runImport(c, id, meta, false)
	if err != nil {
		return err
	}
	page := adminImportPage{Kind: meta.Kind, Confirm: meta.Confirm, View: view, Done: view.Report.Committed}
	status := http.StatusOK
	if view.Report.Committed {
		a.dropUpload(id)
		a.pages.invalidate()
		a.metrics.figureDaysSaved("import", view.Report.DaysChanged)
		a.log.Info("import", "kind", meta.Kind, "file", meta.FileName, "rows", view.Report.Rows, "inserted", view.Report.Inserted,
			"updated", view.Report.Updated, "user", u.Username, "request_id", requestID(c))
	} else {
		// Something changed since the check (a limit, a stored day): the
		// problems are shown and the file may be checked again.
		page.Upload = id
		status = http.StatusUnprocessableEntity
	}
	return a.renderImportPage(c, status, page)
}

// runImport imports a kept file (or checks it, dry) as the signed-in user.
// It has its own time limit: an import outlives the usual request timeout,
// and is not cut off when the browser goes away, as it is all or nothing.
func (a *App) runImport(c echo.Context, id string, meta keptUpload, dry bool) (*importView, error) {
	f, _, err := a.openUpload(id, meta.UserID)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), importTimeout)
	defer cancel()
	report, err := models.Import(ctx, a.db, a.actor(c), f, models.ImportOptions{Kind: meta.Kind, FileName: meta.FileName,
		DryRun: dry, ConfirmImplausible: meta.Confirm, PreviewRows: importPreviewRows, Now: a.now()})
	if err != nil {
		return nil, err
	}
	view := newImportView(a.locale(c), report)
	return &view, nil
}
