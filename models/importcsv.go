package models

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/text/encoding/charmap"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ImportKind is what an import file holds.
type ImportKind string

// The kinds of import (the CSV import contract).
const (
	ImportFigures ImportKind = "figures"
	ImportStatus  ImportKind = "status"
)

// ParseImportKind accepts figures or status.
func ParseImportKind(s string) (ImportKind, error) {
	switch k := ImportKind(s); k {
	case ImportFigures, ImportStatus:
		return k, nil
	}
	return "", fmt.Errorf("import takes figures or status, not %q", s)
}

// importColumns are each kind's columns in the contract's order: the
// required ones, then the optional ones. Columns are found by name in the
// header, in any order.
var importColumns = map[ImportKind]struct{ required, optional []string }{
	ImportFigures: {[]string{"date", "crossing", "direction", "category", "trucks"}, []string{"tonnes", "value_usd", "regime"}},
	ImportStatus:  {[]string{"crossing", "state", "effective_at", "reason"}, []string{"scope", "note"}},
}

// ImportColumns lists a kind's required and optional columns.
func ImportColumns(kind ImportKind) (required, optional []string) {
	c := importColumns[kind]
	return c.required, c.optional
}

// Limits of an import file.
const (
	// MaxImportErrors is how many problems a report lists; beyond it they
	// are only counted. A file with more needs mending as a whole.
	MaxImportErrors = 100
	// MaxImportRowBytes bounds one row: a note of 1,000 characters and the
	// codes fit many times over, while a quote left open (or a file that is
	// not CSV at all) is stopped before it fills the memory.
	MaxImportRowBytes = 64 << 10
)

// ImportError is one problem of an import file: a rule broken (see
// FieldError: its Code is translated as validation.<code>, and its Field
// names the column, "" for the row as a whole) at a line and, when it
// concerns one value, a column. A warning flags a value without stopping
// the import.
type ImportError struct {
	Line   int
	Column int // the column's position in the header, from 1; 0 for the whole row
	FieldError
}

// lineError is a problem of a whole line.
func lineError(line int, code string, params map[string]any) ImportError {
	return ImportError{Line: line, FieldError: FieldError{Code: code, Params: params}}
}

// maxShownValue is how many characters of a value a message repeats.
const maxShownValue = 40

// ShownValue makes a value someone sent fit to repeat in a message on a
// terminal or a page: at most maxShownValue characters, with control
// characters and bytes that are not text replaced. A file or a request
// body may hold anything.
func ShownValue(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if n == maxShownValue {
			b.WriteString("…")
			break
		}
		if r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			r = '\uFFFD'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// shownValues applies ShownValue to the text values of params.
func shownValues(params map[string]any) map[string]any {
	for k, v := range params {
		if s, ok := v.(string); ok {
			params[k] = ShownValue(s)
		}
	}
	return params
}

// importErrors keeps the first MaxImportErrors problems and counts all.
type importErrors struct {
	list  []ImportError
	count int
}

func (e *importErrors) add(ie ImportError) {
	e.count++
	if len(e.list) < MaxImportErrors {
		ie.Params = shownValues(ie.Params)
		e.list = append(e.list, ie)
	}
}

// ImportReader reads an import file as the contract describes: a header
// naming the columns, then one record a row. It streams (memory stays
// that of one row however long the file), skips a UTF-8 byte order mark,
// takes CRLF or LF line ends and quoted fields (with commas, quotes and
// line breaks inside). Text that is not UTF-8 is read as Windows-1252, the
// encoding of Excel's plain "CSV" on Windows; UTF-16 is refused. Every
// problem is recorded with its line and column, and reading goes on past a
// bad row, so that one pass reports them all.
type ImportReader struct {
	kind    ImportKind
	csv     *csv.Reader
	limit   *rowLimiter
	columns []string       // the header as the file has it
	index   map[string]int // column name → position in a record
	errs    importErrors
	err     error // a failure to read the file itself
	stopped bool
	decode  func(string) (string, error)
	decoded int // rows with Windows-1252 text
}

// NewImportReader starts reading r, a file of kind, and reads its header;
// a header that cannot be used is recorded and no row is read.
func NewImportReader(r io.Reader, kind ImportKind) *ImportReader {
	ir := &ImportReader{kind: kind, index: map[string]int{}}
	dec := charmap.Windows1252.NewDecoder()
	ir.decode = dec.String
	br := bufio.NewReader(r)
	if head, _ := br.Peek(3); bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	} else if bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")) {
		ir.stop(lineError(1, "csv_utf16", nil))
		return ir
	}
	ir.limit = &rowLimiter{r: br, line: 1}
	ir.csv = csv.NewReader(ir.limit)
	ir.csv.FieldsPerRecord = -1
	ir.csv.ReuseRecord = true
	ir.readHeader()
	return ir
}

// stop records a problem after which the file cannot be read on.
func (r *ImportReader) stop(ie ImportError) {
	r.errs.add(ie)
	r.stopped = true
}

func (r *ImportReader) readHeader() {
	record, line, ok := r.read()
	switch {
	case r.errs.count > 0:
		// The first line is not CSV: there is no header to read rows by.
		r.stopped = true
		return
	case !ok:
		if r.err == nil {
			r.stop(lineError(1, "csv_empty", nil))
		}
		r.stopped = true
		return
	}
	r.columns = append([]string(nil), record...)
	cols := importColumns[r.kind]
	allowed := append(append([]string(nil), cols.required...), cols.optional...)
	for i, name := range record {
		name = strings.ToLower(strings.TrimSpace(name))
		switch _, seen := r.index[name]; {
		case seen:
			r.errs.add(ImportError{Line: line, Column: i + 1, FieldError: FieldError{Field: name, Code: "duplicate_column",
				Params: map[string]any{"Value": name}}})
		case !slices.Contains(allowed, name):
			r.errs.add(ImportError{Line: line, Column: i + 1, FieldError: FieldError{Field: name, Code: "unknown_column",
				Params: map[string]any{"Value": name, "Kind": string(r.kind), "Columns": strings.Join(allowed, ", ")}}})
		default:
			r.index[name] = i
		}
	}
	for _, name := range cols.required {
		if _, ok := r.index[name]; !ok {
			r.errs.add(ImportError{Line: line, FieldError: FieldError{Field: name, Code: "missing_column",
				Params: map[string]any{"Value": name, "Kind": string(r.kind), "Required": strings.Join(cols.required, ", ")}}})
		}
	}
	if r.errs.count > 0 {
		r.stopped = true
	}
}

// Columns is the header as the file has it.
func (r *ImportReader) Columns() []string { return r.columns }

// Err is a failure to read the file itself (not a problem of its content).
func (r *ImportReader) Err() error { return r.err }

// Errors returns the first MaxImportErrors problems recorded and how many
// there were in all.
func (r *ImportReader) Errors() ([]ImportError, int) { return r.errs.list, r.errs.count }

// Windows1252Rows is how many rows held text read as Windows-1252.
func (r *ImportReader) Windows1252Rows() int { return r.decoded }

// ImportRow is one record of the file. Its Fields are reused by the next
// call of Next: copy them to keep them.
type ImportRow struct {
	Line   int
	Fields []string
	index  map[string]int
}

// Value is the named column's value with spaces trimmed, "" when the file
// has no such column.
func (row ImportRow) Value(column string) string {
	i, ok := row.index[column]
	if !ok || i >= len(row.Fields) {
		return ""
	}
	return strings.TrimSpace(row.Fields[i])
}

// Column is the named column's position in the header, from 1; 0 when the
// file has no such column.
func (row ImportRow) Column(column string) int {
	if i, ok := row.index[column]; ok {
		return i + 1
	}
	return 0
}

// Next returns the next row with as many fields as the header, recording
// and skipping the rows that cannot be read; false at the end of the file
// or when it cannot be read on.
func (r *ImportReader) Next() (ImportRow, bool) {
	for !r.stopped {
		record, line, ok := r.read()
		if !ok {
			return ImportRow{}, false
		}
		if len(record) != len(r.columns) && !(len(record) > len(r.columns) && allEmpty(record[len(r.columns):])) {
			r.errs.add(lineError(line, "csv_field_count", map[string]any{"Got": len(record), "Want": len(r.columns)}))
			continue
		}
		return ImportRow{Line: line, Fields: record[:len(r.columns)], index: r.index}, true
	}
	return ImportRow{}, false
}

// allEmpty reports whether every field is empty: the trailing commas some
// spreadsheets add are not extra columns.
func allEmpty(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// read returns the next CSV record, decoded, and the line it starts on;
// false at the end of the file or when reading must stop. A record that is
// not valid CSV is recorded and skipped.
func (r *ImportReader) read() ([]string, int, bool) {
	for !r.stopped {
		r.limit.mark()
		record, err := r.csv.Read()
		var pe *csv.ParseError
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			r.stopped = true
			return nil, 0, false
		case errors.As(err, &pe):
			code := "csv_bad_quote"
			if errors.Is(pe.Err, csv.ErrBareQuote) {
				code = "csv_bare_quote"
			}
			r.errs.add(lineError(pe.Line, code, nil))
			continue
		case errors.Is(err, errRowTooLong):
			r.stop(lineError(r.limit.line, "csv_row_too_long", map[string]any{"Max": MaxImportRowBytes}))
			return nil, 0, false
		default:
			r.err = fmt.Errorf("read the file: %w", err)
			r.stopped = true
			return nil, 0, false
		}
		line, _ := r.csv.FieldPos(0)
		converted := false
		for i, f := range record {
			if !utf8.ValidString(f) {
				if s, err := r.decode(f); err == nil {
					record[i], converted = s, true
				}
			}
		}
		if converted {
			r.decoded++
		}
		return record, line, true
	}
	return nil, 0, false
}

// errRowTooLong stops a row longer than MaxImportRowBytes.
var errRowTooLong = errors.New("row too long")

// rowLimiter refuses to deliver more than MaxImportRowBytes since the last
// mark (the start of a row), and counts lines so that the refusal can say
// where it happened. The CSV reader's read-ahead makes the bound a little
// loose, which does not matter.
type rowLimiter struct {
	r     io.Reader
	since int
	line  int
}

func (l *rowLimiter) mark() { l.since = 0 }

func (l *rowLimiter) Read(p []byte) (int, error) {
	room := MaxImportRowBytes + 4096 - l.since
	if room <= 0 {
		return 0, errRowTooLong
	}
	if len(p) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.since += n
	l.line += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}

// ImportOptions says what to import and how.
type ImportOptions struct {
	Kind ImportKind
	// FileName names the file in the report and the audit record.
	FileName string
	// DryRun checks everything, in the database too, and writes nothing:
	// the import runs in a transaction that is rolled back, so that the
	// report's counts are exactly those of a real import.
	DryRun bool
	// ConfirmImplausible accepts days whose loaded trucks are above the
	// crossing's plausibility limit; without it such days are refused.
	ConfirmImplausible bool
	// PreviewRows is how many of the first rows the report keeps as read.
	PreviewRows int
	// Now is the instant the rules (no future days, back-dating) apply at.
	Now time.Time
}

// ImportReport says what an import found and did.
type ImportReport struct {
	Kind     ImportKind
	FileName string
	DryRun   bool
	Columns  []string   // the header as read
	Preview  [][]string // the first PreviewRows rows as read
	Rows     int        // data rows read
	// Inserted, Updated and Unchanged count the rows that were (or, in a
	// dry run, would be) new, different from what is stored, or equal to it.
	Inserted, Updated, Unchanged int
	// DaysChanged counts the crossing-days whose figures changed (each gets
	// a new version); DaysUnverified those of them that had been verified
	// and are provisional again.
	DaysChanged, DaysUnverified int
	// OverLimitConfirmed counts the days above the plausibility limit that
	// ConfirmImplausible accepted.
	OverLimitConfirmed int
	Windows1252Rows    int
	Errors             []ImportError // the first MaxImportErrors refusals
	ErrorCount         int
	Warnings           []ImportError // the first MaxImportErrors flags, which do not stop an import
	WarningCount       int
	Committed          bool // the rows were written
}

// OK reports whether the file can be imported as it is.
func (r ImportReport) OK() bool { return r.ErrorCount == 0 }

// importRefs is what rows are checked against: the crossings by slug, the
// rules of each (the categories are in every crossing's rules), and the
// instant the rules apply at. Only these small maps are kept, never rows.
type importRefs struct {
	crossings map[string]Crossing
	rules     map[int64]FigureRules
	anyRules  FigureRules // the categories alone, for rows of an unknown crossing
	now       time.Time
}

func loadImportRefs(ctx context.Context, db *gorm.DB, now time.Time) (importRefs, error) {
	var crossings []Crossing
	if err := db.WithContext(ctx).Find(&crossings).Error; err != nil {
		return importRefs{}, fmt.Errorf("read crossings: %w", err)
	}
	refs := importRefs{crossings: map[string]Crossing{}, rules: map[int64]FigureRules{}, now: now}
	for _, c := range crossings {
		rules, err := LoadFigureRules(ctx, db, c, now)
		if err != nil {
			return importRefs{}, err
		}
		refs.crossings[c.Slug], refs.rules[c.ID] = c, rules
		refs.anyRules = FigureRules{Categories: rules.Categories}
	}
	if refs.anyRules.Categories == nil {
		cats, err := CargoCategories(ctx, db)
		if err != nil {
			return importRefs{}, err
		}
		refs.anyRules.Categories = map[string]CargoCategory{}
		for _, cat := range cats {
			refs.anyRules.Categories[cat.Code] = cat
		}
	}
	return refs, nil
}

// importSource yields the checked rows of an import file, ready for the
// staging table, recording every problem on the way. It is a
// pgx.CopyFromSource, so that PostgreSQL takes the rows by COPY as they are
// read.
type importSource struct {
	reader   *ImportReader
	refs     importRefs
	kind     ImportKind
	preview  int
	report   *ImportReport
	postgres bool // stage for PostgreSQL's COPY (a day is a time.Time there)
	warnings importErrors
	pending  []ImportError // the current row's flags, kept if the row passes
	values   []any
}

// stagingColumns are the staging tables' columns, in the order Values gives them.
var stagingColumns = map[ImportKind][]string{
	ImportFigures: {"line", "crossing_id", "day", "direction", "category_id", "regime", "trucks", "tonnes", "value_usd"},
	ImportStatus:  {"line", "crossing_id", "state", "scope", "reason", "note", "effective_at"},
}

// Next advances to the next row that passes every check.
func (s *importSource) Next() bool {
	for {
		row, ok := s.reader.Next()
		if !ok {
			return false
		}
		s.report.Rows++
		if len(s.report.Preview) < s.preview {
			s.report.Preview = append(s.report.Preview, append([]string(nil), row.Fields...))
		}
		s.pending = s.pending[:0]
		var good bool
		if s.kind == ImportFigures {
			good = s.checkFigure(row)
		} else {
			good = s.checkStatus(row)
		}
		if good {
			for _, w := range s.pending {
				s.warnings.add(w)
			}
			return true
		}
	}
}

// Values is the current row for the staging table.
func (s *importSource) Values() ([]any, error) { return s.values, nil }

// Err is a failure to read the file.
func (s *importSource) Err() error { return s.reader.Err() }

// refuse records a problem of row in column.
func (s *importSource) refuse(row ImportRow, column, code string, params map[string]any) {
	s.reader.errs.add(ImportError{Line: row.Line, Column: row.Column(column), FieldError: FieldError{Field: column, Code: code, Params: params}})
}

// record adds the shared rules' findings for row: refusals as errors,
// flags as warnings (kept only if the row passes: a refused row's flags
// are noise). A finding's field names the column.
func (s *importSource) record(row ImportRow, errs []FieldError) {
	for _, fe := range errs {
		fe.Field = fe.Field[strings.LastIndexByte(fe.Field, '.')+1:]
		ie := ImportError{Line: row.Line, Column: row.Column(fe.Field), FieldError: fe}
		if fe.IsWarning() {
			s.pending = append(s.pending, ie)
		} else {
			s.reader.errs.add(ie)
		}
	}
}

// crossing finds the row's crossing by its slug.
func (s *importSource) crossing(row ImportRow) (Crossing, bool) {
	slug := strings.ToLower(row.Value("crossing"))
	c, ok := s.refs.crossings[slug]
	if !ok {
		code := "unknown_crossing"
		if slug == "" {
			code = "required"
		}
		s.refuse(row, "crossing", code, map[string]any{"Value": row.Value("crossing")})
	}
	return c, ok
}

// checkFigure reads and checks a figures row with the rules forms use.
func (s *importSource) checkFigure(row ImportRow) bool {
	before := s.reader.errs.count
	crossing, known := s.crossing(row)
	rules := s.refs.anyRules
	if known {
		rules = s.refs.rules[crossing.ID]
	}
	day, err := ParseDate(ASCIIDigits(row.Value("date")))
	switch {
	case row.Value("date") == "":
		s.refuse(row, "date", "required", nil)
	case err != nil:
		s.refuse(row, "date", "date_format", map[string]any{"Value": row.Value("date")})
	case known:
		if fe := rules.CheckDay(day); fe != nil {
			s.record(row, []FieldError{*fe})
		}
	}
	f := FigureInput{
		Direction: Direction(strings.ToLower(row.Value("direction"))),
		Category:  strings.ToLower(row.Value("category")),
		Regime:    Regime(strings.ToLower(row.Value("regime"))),
	}
	switch v := ASCIIDigits(row.Value("trucks")); {
	case v == "":
		s.refuse(row, "trucks", "required", nil)
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") || err == nil && n > MaxTrucksPerFigure:
			s.refuse(row, "trucks", "too_large", map[string]any{"Max": MaxTrucksPerFigure})
		case errors.Is(err, strconv.ErrRange):
			s.refuse(row, "trucks", "negative", nil)
		case err != nil:
			s.refuse(row, "trucks", "not_whole", map[string]any{"Value": v})
		default:
			f.Trucks = int(n)
		}
	}
	f.Tonnes = s.decimal(row, "tonnes")
	f.ValueUSD = s.decimal(row, "value_usd")
	s.record(row, rules.CheckFigure("figure", f))
	if s.reader.errs.count > before {
		return false
	}
	f.Regime = f.regime()
	category := rules.Categories[f.Category]
	var dayValue any = day
	if s.postgres {
		dayValue = day.Start(time.UTC)
	}
	s.values = append(s.values[:0], row.Line, crossing.ID, dayValue, string(f.Direction), category.ID,
		string(f.Regime), f.Trucks, optionalNumber(roundedCopy(f.Tonnes, TonnesDecimals)),
		optionalNumber(roundedCopy(f.ValueUSD, ValueDecimals)))
	return true
}

// decimal reads an optional number of the row: empty is absent. Only plain
// decimals are taken (3600, 3600.5): no exponents, separators or hex.
func (s *importSource) decimal(row ImportRow, column string) *float64 {
	v := ASCIIDigits(row.Value(column))
	if v == "" {
		return nil
	}
	if !plainDecimal(v) {
		s.refuse(row, column, "not_number", map[string]any{"Value": v})
		return nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		s.refuse(row, column, "not_number", map[string]any{"Value": v})
		return nil
	}
	return &n
}

// plainDecimal reports whether s is digits with at most one decimal point
// and an optional leading sign.
func plainDecimal(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	digits, point := 0, false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' && !point:
			point = true
		default:
			return false
		}
	}
	return digits > 0
}

// optionalNumber is a nullable column's value.
func optionalNumber(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// checkStatus reads and checks a status row with the rules forms use.
// Imports are history, entered by administrators: back-dating has no limit.
func (s *importSource) checkStatus(row ImportRow) bool {
	before := s.reader.errs.count
	crossing, known := s.crossing(row)
	in := StatusInput{CrossingID: crossing.ID, State: State(strings.ToLower(row.Value("state"))),
		Note: row.Value("note"), AllowOldBackdate: true, Source: "import"}
	if v := strings.ToLower(row.Value("scope")); v != "" {
		scope := Scope(v)
		in.Scope = &scope
	}
	if v := strings.ToLower(row.Value("reason")); v != "" {
		reason := Reason(v)
		in.Reason = &reason
	}
	at, err := time.Parse(time.RFC3339, ASCIIDigits(row.Value("effective_at")))
	switch {
	case row.Value("effective_at") == "":
		s.refuse(row, "effective_at", "required", nil)
	case err != nil:
		s.refuse(row, "effective_at", "instant_format", map[string]any{"Value": row.Value("effective_at")})
	default:
		in.EffectiveAt = at.UTC().Truncate(time.Microsecond)
	}
	errs := CheckStatus(in, crossing, s.refs.now)
	if !known || in.EffectiveAt.IsZero() {
		// Without a crossing or a time, the time cannot be judged.
		kept := errs[:0]
		for _, fe := range errs {
			if fe.Field != "effective_at" {
				kept = append(kept, fe)
			}
		}
		errs = kept
	}
	s.record(row, errs)
	if s.reader.errs.count > before {
		return false
	}
	var scope, reason any
	if in.Scope != nil {
		scope = string(*in.Scope)
	}
	if in.Reason != nil {
		reason = string(*in.Reason)
	}
	s.values = append(s.values[:0], row.Line, crossing.ID, string(in.State), scope, reason, in.Note, in.EffectiveAt)
	return true
}

// Import reads an import file from r and, when every row passes, writes
// all of it in one transaction: all or nothing. Rows are upserted on their
// unique keys (a figure's crossing, day, direction, category and regime; a
// status change's crossing and effective time) and only rows whose values
// differ are written, so that importing the same file again changes
// nothing. A crossing-day whose figures change gets a new version and is
// provisional again. One audit record summarises the import. The report
// lists every problem by line and column; an import with problems writes
// nothing, and so does a dry run. The error is for failures of the file or
// the database, not of the content.
func Import(ctx context.Context, db *gorm.DB, actor Actor, r io.Reader, opts ImportOptions) (ImportReport, error) {
	if _, ok := importColumns[opts.Kind]; !ok {
		return ImportReport{}, fmt.Errorf("unknown import kind %q", opts.Kind)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	report := ImportReport{Kind: opts.Kind, FileName: opts.FileName, DryRun: opts.DryRun}
	// An import's statements each take a million rows: slow by design, and
	// not worth the slow-query warning (errors are returned all the same).
	db = db.Session(&gorm.Session{Logger: logger.Discard})
	refs, err := loadImportRefs(ctx, db, opts.Now)
	if err != nil {
		return report, err
	}
	reader := NewImportReader(r, opts.Kind)
	report.Columns = reader.Columns()
	src := &importSource{reader: reader, refs: refs, kind: opts.Kind, preview: opts.PreviewRows, report: &report}
	finish := func() {
		report.Errors, report.ErrorCount = reader.Errors()
		// Rows are read in order; within a row, the problems go by column.
		sort.SliceStable(report.Errors, func(i, j int) bool {
			a, b := report.Errors[i], report.Errors[j]
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		report.Warnings, report.WarningCount = src.warnings.list, src.warnings.count
		report.Windows1252Rows = reader.Windows1252Rows()
	}
	if reader.stopped {
		finish()
		return report, reader.Err()
	}
	w := &importWriter{opts: opts, actor: actor, report: &report, errs: &reader.errs, rules: refs.rules, dialect: Dialect(db)}
	src.postgres = w.dialect == DialectPostgres
	err = db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		w.conn, _ = conn.Statement.ConnPool.(*sql.Conn)
		if w.dialect == DialectSQLite {
			// A SQLite write transaction locks the whole database, so the
			// rows are read, checked and staged before it begins: a
			// temporary table takes no lock on the database. The
			// transaction then only compares and writes.
			w.tx = conn
			defer w.dropStaging(ctx, conn)
			if err := w.stage(ctx, src); err != nil || w.errs.count > 0 {
				finish()
				return err
			}
		}
		tx := conn.Begin()
		if tx.Error != nil {
			return fmt.Errorf("begin the import: %w", tx.Error)
		}
		w.tx = tx
		err := w.run(ctx, src)
		finish()
		if err != nil || !report.OK() || opts.DryRun {
			if rerr := tx.Rollback().Error; rerr != nil && err == nil {
				err = fmt.Errorf("roll back the import: %w", rerr)
			}
			return err
		}
		if err := tx.Commit().Error; err != nil {
			return fmt.Errorf("commit the import: %w", err)
		}
		report.Committed = true
		return nil
	})
	if err != nil {
		report.Committed = false
		return report, fmt.Errorf("import %s of %s: %w", opts.Kind, opts.FileName, err)
	}
	return report, nil
}

// importWriter is one import's transaction: the staging table the checked
// rows go to, and the statements that take them from there.
type importWriter struct {
	opts    ImportOptions
	actor   Actor
	report  *ImportReport
	errs    *importErrors
	rules   map[int64]FigureRules // by crossing ID
	tx      *gorm.DB
	conn    *sql.Conn
	dialect string
}

// stagingDDL creates each kind's staging table: a temporary table with the
// types of the real columns, so that values compare as they will be stored.
var stagingDDL = map[string]map[ImportKind]string{
	DialectPostgres: {
		ImportFigures: `CREATE TEMP TABLE import_figures (line integer NOT NULL, crossing_id bigint NOT NULL, day date NOT NULL,
			direction text NOT NULL, category_id bigint NOT NULL, regime text NOT NULL, trucks integer NOT NULL,
			tonnes numeric(12,1), value_usd numeric(16,2)) ON COMMIT DROP`,
		ImportStatus: `CREATE TEMP TABLE import_status (line integer NOT NULL, crossing_id bigint NOT NULL, state text NOT NULL,
			scope text, reason text, note text NOT NULL, effective_at timestamptz NOT NULL) ON COMMIT DROP`,
	},
	DialectSQLite: {
		ImportFigures: `CREATE TEMP TABLE import_figures (line integer NOT NULL, crossing_id integer NOT NULL, day text NOT NULL,
			direction text NOT NULL, category_id integer NOT NULL, regime text NOT NULL, trucks integer NOT NULL,
			tonnes real, value_usd real)`,
		ImportStatus: `CREATE TEMP TABLE import_status (line integer NOT NULL, crossing_id integer NOT NULL, state text NOT NULL,
			scope text, reason text, note text NOT NULL, effective_at datetime NOT NULL)`,
	},
}

func stagingTable(kind ImportKind) string { return "import_" + string(kind) }

// run stages the rows (on PostgreSQL; on SQLite they are staged before
// the transaction) and, when they all pass, writes them.
func (w *importWriter) run(ctx context.Context, src *importSource) error {
	if w.dialect == DialectPostgres {
		if err := w.stage(ctx, src); err != nil || w.errs.count > 0 {
			return err
		}
		// Statistics for the planner, and room to hash a million keys in memory.
		if err := w.exec(ctx, "ANALYZE "+stagingTable(w.opts.Kind)); err != nil {
			return err
		}
		if err := w.exec(ctx, "SET LOCAL work_mem = '64MB'"); err != nil {
			return err
		}
	}
	if err := w.checkDuplicates(ctx); err != nil || w.errs.count > 0 {
		return err
	}
	var err error
	if w.opts.Kind == ImportFigures {
		err = w.writeFigures(ctx)
	} else {
		err = w.writeStatus(ctx)
	}
	if err != nil || w.errs.count > 0 {
		return err
	}
	return w.audit()
}

// dropStaging drops SQLite's staging tables from the connection, which
// the pool keeps, with its temporary tables, for the next user.
func (w *importWriter) dropStaging(ctx context.Context, conn *gorm.DB) {
	for _, table := range []string{stagingTable(w.opts.Kind), "import_days"} {
		_ = conn.WithContext(ctx).Exec("DROP TABLE IF EXISTS temp." + table).Error
	}
}

// exec runs a statement of the import's own in its transaction.
func (w *importWriter) exec(ctx context.Context, query string, args ...any) error {
	if err := w.tx.WithContext(ctx).Exec(query, args...).Error; err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// stage creates the staging table and puts the checked rows into it: by
// COPY on PostgreSQL, in multi-row INSERTs on SQLite.
func (w *importWriter) stage(ctx context.Context, src *importSource) error {
	columns := stagingColumns[w.opts.Kind]
	table := stagingTable(w.opts.Kind)
	if w.dialect == DialectSQLite {
		if err := w.exec(ctx, "DROP TABLE IF EXISTS temp."+table); err != nil {
			return err
		}
	}
	if err := w.exec(ctx, stagingDDL[w.dialect][w.opts.Kind]); err != nil {
		return err
	}
	if err := w.fill(ctx, src, table, columns); err != nil {
		return err
	}
	return src.Err()
}

// fill streams the checked rows into the staging table.
func (w *importWriter) fill(ctx context.Context, src *importSource, table string, columns []string) error {
	if w.dialect == DialectPostgres && w.conn != nil {
		return w.conn.Raw(func(driverConn any) error {
			c, ok := driverConn.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("import: unexpected PostgreSQL driver %T", driverConn)
			}
			if _, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, src); err != nil {
				return fmt.Errorf("import: copy the rows into the staging table: %w", err)
			}
			return nil
		})
	}
	const batch = 500
	insert := func(rows int, args []any) error {
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(columns, ", "))
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
		}
		if _, err := w.tx.Statement.ConnPool.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("import: stage the rows: %w", err)
		}
		return nil
	}
	args := make([]any, 0, batch*len(columns))
	rows := 0
	for src.Next() {
		if w.errs.count > 0 {
			continue // the import will not be written; only look for more problems
		}
		values, _ := src.Values()
		args = append(args, values...)
		if rows++; rows == batch {
			if err := insert(rows, args); err != nil {
				return err
			}
			args, rows = args[:0], 0
		}
	}
	if rows > 0 && w.errs.count == 0 {
		return insert(rows, args)
	}
	return nil
}

// uniqueKeys are the staging columns that make each kind's unique key.
var uniqueKeys = map[ImportKind]string{
	ImportFigures: "crossing_id, day, direction, category_id, regime",
	ImportStatus:  "crossing_id, effective_at",
}

// checkDuplicates refuses a file that gives the same key twice: which of
// the two it means cannot be known. The common case, no duplicates, costs
// one count of distinct keys.
func (w *importWriter) checkDuplicates(ctx context.Context) error {
	table, key := stagingTable(w.opts.Kind), uniqueKeys[w.opts.Kind]
	var distinct int64
	if err := w.tx.WithContext(ctx).Raw("SELECT COUNT(*) FROM (SELECT DISTINCT " + key + " FROM " + table + ") k").Scan(&distinct).Error; err != nil {
		return fmt.Errorf("import: count distinct rows: %w", err)
	}
	staged := int64(w.report.Rows)
	if distinct == staged {
		return nil
	}
	var dups []struct{ Line, FirstLine int }
	err := w.tx.WithContext(ctx).Raw(`SELECT line, first_line FROM (SELECT line, MIN(line) OVER (PARTITION BY ` + key + `) AS first_line FROM ` + table + `) d
		WHERE line <> first_line ORDER BY line`).Scan(&dups).Error
	if err != nil {
		return fmt.Errorf("import: find repeated rows: %w", err)
	}
	for _, d := range dups {
		w.errs.add(lineError(d.Line, "duplicate_"+string(w.opts.Kind), map[string]any{"First": d.FirstLine}))
	}
	return nil
}

// figureDiffers is true when a stored figure (f) differs from the staged
// one (s) in what it says; who entered it and when does not count.
const figureDiffers = `(f.trucks <> s.trucks OR f.tonnes IS DISTINCT FROM s.tonnes OR f.value_usd IS DISTINCT FROM s.value_usd)`

// writeFigures upserts the staged figures, gives each changed day a new
// version, and checks the changed days against the plausibility limits.
func (w *importWriter) writeFigures(ctx context.Context) error {
	db := w.tx.WithContext(ctx)
	dayTable := "CREATE TEMP TABLE import_days AS "
	if w.dialect == DialectPostgres {
		dayTable = "CREATE TEMP TABLE import_days ON COMMIT DROP AS "
	}
	// Each day of the file with how many of its rows are new and changed.
	err := db.Exec(dayTable + `SELECT s.crossing_id, s.day,
			SUM(CASE WHEN f.id IS NULL THEN 1 ELSE 0 END) AS inserted,
			SUM(CASE WHEN f.id IS NOT NULL AND ` + figureDiffers + ` THEN 1 ELSE 0 END) AS updated
		FROM import_figures s
		LEFT JOIN daily_figures f ON f.crossing_id = s.crossing_id AND f.day = s.day AND f.direction = s.direction
			AND f.category_id = s.category_id AND f.regime = s.regime
		GROUP BY s.crossing_id, s.day`).Error
	if err != nil {
		return fmt.Errorf("import: compare with the stored figures: %w", err)
	}
	var counts struct{ Inserted, Updated, Days int }
	err = db.Raw(`SELECT COALESCE(SUM(inserted), 0) AS inserted, COALESCE(SUM(updated), 0) AS updated,
		COALESCE(SUM(CASE WHEN inserted + updated > 0 THEN 1 ELSE 0 END), 0) AS days FROM import_days`).Scan(&counts).Error
	if err != nil {
		return fmt.Errorf("import: count the changes: %w", err)
	}
	w.report.Inserted, w.report.Updated, w.report.DaysChanged = counts.Inserted, counts.Updated, counts.Days
	w.report.Unchanged = w.report.Rows - counts.Inserted - counts.Updated
	if counts.Days == 0 {
		return nil
	}
	var unverified int64
	err = db.Raw(`SELECT COUNT(*) FROM crossing_days d JOIN import_days i ON i.crossing_id = d.crossing_id AND i.day = d.day
		WHERE i.inserted + i.updated > 0 AND d.verified_at IS NOT NULL`).Scan(&unverified).Error
	if err != nil {
		return fmt.Errorf("import: count the verified days changed: %w", err)
	}
	w.report.DaysUnverified = int(unverified)

	now := w.opts.Now.UTC().Truncate(time.Microsecond)
	err = db.Exec(`INSERT INTO crossing_days (crossing_id, day, version, updated_at, updated_by)
		SELECT crossing_id, day, 1, ?, ? FROM import_days WHERE inserted + updated > 0
		ON CONFLICT (crossing_id, day) DO UPDATE SET version = crossing_days.version + 1,
			verified_at = NULL, verified_by = NULL, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		now, w.actor.UserID).Error
	if err != nil {
		return fmt.Errorf("import: store the days' versions: %w", err)
	}
	// New rows by INSERT (ON CONFLICT only for a row another writer added
	// meanwhile), changed rows by UPDATE: twice as fast on PostgreSQL as
	// one upsert of every row, and an import of what is stored writes nothing.
	if counts.Inserted > 0 {
		err = db.Exec(`INSERT INTO daily_figures AS f (crossing_id, day, direction, category_id, regime, trucks, tonnes, value_usd,
				entered_by, source, created_at, updated_at)
			SELECT crossing_id, day, direction, category_id, regime, trucks, tonnes, value_usd, ?, 'import', ?, ?
			FROM import_figures s WHERE NOT EXISTS (SELECT 1 FROM daily_figures f WHERE f.crossing_id = s.crossing_id
				AND f.day = s.day AND f.direction = s.direction AND f.category_id = s.category_id AND f.regime = s.regime)
			ON CONFLICT (crossing_id, day, direction, category_id, regime) DO UPDATE SET trucks = excluded.trucks,
				tonnes = excluded.tonnes, value_usd = excluded.value_usd, entered_by = excluded.entered_by,
				source = excluded.source, updated_at = excluded.updated_at
			WHERE f.trucks <> excluded.trucks OR f.tonnes IS DISTINCT FROM excluded.tonnes
				OR f.value_usd IS DISTINCT FROM excluded.value_usd`, w.actor.UserID, now, now).Error
		if err != nil {
			return fmt.Errorf("import: store the new figures: %w", err)
		}
	}
	if counts.Updated > 0 {
		err = db.Exec(`UPDATE daily_figures AS f SET trucks = s.trucks, tonnes = s.tonnes, value_usd = s.value_usd,
			entered_by = ?, source = 'import', updated_at = ?
		FROM import_figures s WHERE f.crossing_id = s.crossing_id AND f.day = s.day AND f.direction = s.direction
			AND f.category_id = s.category_id AND f.regime = s.regime AND `+figureDiffers, w.actor.UserID, now).Error
		if err != nil {
			return fmt.Errorf("import: store the changed figures: %w", err)
		}
	}
	return w.checkLimits(ctx)
}

// checkLimits applies the crossings' plausibility limits to the loaded
// trucks of each changed day as the import leaves it (its rows with those
// already stored). A day above the limit is refused at the first line that
// gives loaded trucks of it, unless the import confirms it.
func (w *importWriter) checkLimits(ctx context.Context) error {
	db := w.tx.WithContext(ctx)
	rows, err := db.Raw(`SELECT f.crossing_id, f.day, f.direction, SUM(f.trucks) AS trucks
		FROM daily_figures f
		JOIN cargo_categories c ON c.id = f.category_id AND c.loaded
		JOIN import_days i ON i.crossing_id = f.crossing_id AND i.day = f.day AND i.inserted + i.updated > 0
		GROUP BY f.crossing_id, f.day, f.direction
		ORDER BY f.crossing_id, f.day`).Rows()
	if err != nil {
		return fmt.Errorf("import: add up the changed days: %w", err)
	}
	defer rows.Close()
	type dayKey struct {
		crossing int64
		day      Date
	}
	rulesByID := w.rules
	var (
		current dayKey
		totals  = map[Direction]int{}
		over    []struct {
			key dayKey
			fe  FieldError
		}
	)
	flush := func() {
		if current.crossing == 0 {
			return
		}
		for _, fe := range rulesByID[current.crossing].OverLimit(totals) {
			over = append(over, struct {
				key dayKey
				fe  FieldError
			}{current, fe})
		}
		clear(totals)
	}
	for rows.Next() {
		var k dayKey
		var dir Direction
		var trucks int
		if err := rows.Scan(&k.crossing, &k.day, &dir, &trucks); err != nil {
			return fmt.Errorf("import: read the day totals: %w", err)
		}
		if k != current {
			flush()
			current = k
		}
		totals[dir] = trucks
	}
	flush()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("import: read the day totals: %w", err)
	}
	_ = rows.Close()
	if w.opts.ConfirmImplausible {
		days := map[dayKey]bool{}
		for _, o := range over {
			days[o.key] = true
		}
		w.report.OverLimitConfirmed = len(days)
		return nil
	}
	for i, o := range over {
		line := 0
		if i < MaxImportErrors {
			err := db.Raw(`SELECT MIN(s.line) FROM import_figures s JOIN cargo_categories c ON c.id = s.category_id AND c.loaded
				WHERE s.crossing_id = ? AND s.day = ? AND s.direction = ?`,
				o.key.crossing, o.key.day, o.fe.Params["Direction"]).Scan(&line).Error
			if err != nil {
				return fmt.Errorf("import: find the line of an implausible day: %w", err)
			}
		}
		params := map[string]any{"Date": o.key.day.String(), "Crossing": rulesByID[o.key.crossing].Crossing.Name}
		for k, v := range o.fe.Params {
			params[k] = v
		}
		w.errs.add(lineError(line, "day_over_limit", params))
	}
	return nil
}

// statusDiffers is true when a stored status change (c) differs from the
// staged one (s) in what it says.
const statusDiffers = `(c.state <> s.state OR c.scope IS DISTINCT FROM s.scope OR c.reason IS DISTINCT FROM s.reason OR c.note <> s.note)`

// writeStatus upserts the staged status changes on (crossing, effective_at).
func (w *importWriter) writeStatus(ctx context.Context) error {
	db := w.tx.WithContext(ctx)
	var counts struct{ Inserted, Updated int }
	err := db.Raw(`SELECT COALESCE(SUM(CASE WHEN c.id IS NULL THEN 1 ELSE 0 END), 0) AS inserted,
			COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND ` + statusDiffers + ` THEN 1 ELSE 0 END), 0) AS updated
		FROM import_status s LEFT JOIN status_changes c ON c.crossing_id = s.crossing_id AND c.effective_at = s.effective_at`).
		Scan(&counts).Error
	if err != nil {
		return fmt.Errorf("import: compare with the stored status changes: %w", err)
	}
	w.report.Inserted, w.report.Updated = counts.Inserted, counts.Updated
	w.report.Unchanged = w.report.Rows - counts.Inserted - counts.Updated
	if counts.Inserted+counts.Updated == 0 {
		return nil
	}
	now := w.opts.Now.UTC().Truncate(time.Microsecond)
	err = db.Exec(`INSERT INTO status_changes AS c (crossing_id, state, scope, reason, note, effective_at, recorded_at, recorded_by, source)
		SELECT crossing_id, state, scope, reason, note, effective_at, ?, ?, 'import' FROM import_status WHERE true
		ON CONFLICT (crossing_id, effective_at) DO UPDATE SET state = excluded.state, scope = excluded.scope,
			reason = excluded.reason, note = excluded.note, recorded_at = excluded.recorded_at,
			recorded_by = excluded.recorded_by, source = excluded.source
		WHERE c.state <> excluded.state OR c.scope IS DISTINCT FROM excluded.scope
			OR c.reason IS DISTINCT FROM excluded.reason OR c.note <> excluded.note`, now, w.actor.UserID).Error
	if err != nil {
		return fmt.Errorf("import: store the status changes: %w", err)
	}
	return nil
}

// importValues is what the audit log records of an import.
type importValues struct {
	File               string `json:"file"`
	Rows               int    `json:"rows"`
	Inserted           int    `json:"inserted"`
	Updated            int    `json:"updated"`
	Unchanged          int    `json:"unchanged"`
	DaysChanged        int    `json:"days_changed,omitempty"`
	DaysUnverified     int    `json:"days_unverified,omitempty"`
	OverLimitConfirmed int    `json:"over_limit_confirmed,omitempty"`
}

// ImportAuditEntity names the audit records of imports, by kind.
var ImportAuditEntity = map[ImportKind]string{ImportFigures: "daily_figures", ImportStatus: "status_changes"}

// audit writes the one record that summarises the import.
func (w *importWriter) audit() error {
	r := w.report
	v := importValues{File: r.FileName, Rows: r.Rows, Inserted: r.Inserted, Updated: r.Updated, Unchanged: r.Unchanged,
		DaysChanged: r.DaysChanged, DaysUnverified: r.DaysUnverified, OverLimitConfirmed: r.OverLimitConfirmed}
	e, err := w.actor.auditEntry("import", ImportAuditEntity[r.Kind], r.FileName, nil, v)
	if err != nil {
		return err
	}
	e.Detail = fmt.Sprintf("%s: %d rows, %d inserted, %d updated, %d unchanged", r.FileName, r.Rows, r.Inserted, r.Updated, r.Unchanged)
	return WriteAudit(w.tx, e)
}
