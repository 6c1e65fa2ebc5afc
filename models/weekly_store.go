package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Report formats, in the order pages list them.
var ReportFormats = []string{"pdf", "xlsx", "csv", "json"}

// DefaultReportLicense and DefaultReportCitation are the licence and the
// citation printed on every summary unless configured otherwise. The
// citation's {crossing}, {week} and {revision} are filled in per file.
const (
	DefaultReportLicense  = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
	DefaultReportCitation = "borderflow weekly summary, {crossing}, {week}, revision {revision}"
)

// ReportOptions are what publishing a summary needs beside the data.
type ReportOptions struct {
	License  string
	Citation string // with {crossing}, {week} and {revision}
	// Location is the zone of BORDERFLOW_TIMEZONE, in which a week must be
	// over before it is published.
	Location *time.Location
	// Languages are those the PDF and the XLSX are written in, each stored
	// once a language. The first must be English: it also writes the few
	// words of the language-neutral CSV and JSON, and the citation.
	Languages []ReportLanguage
}

// ReportLanguage is one language a PDF or workbook is written in: its
// messages (the reports.* ones and weekday.N), its digits and its
// direction.
type ReportLanguage interface {
	Lang() string // BCP 47: en, ur, ps, fa-AF
	T(id string, args ...any) string
	// Digits writes an already formatted number or date in the
	// language's digits.
	Digits(s string) string
	RightToLeft() bool
	// CategoryName is a cargo category's name in the language; name is
	// the one staff gave it, for a category the catalog does not know.
	CategoryName(code, name string) string
}

// languageNeutral reports whether a format is written once for every
// language: its column names and codes are for machines.
func languageNeutral(format string) bool { return format == "csv" || format == "json" }

// citation fills in the citation template for one file.
func (o ReportOptions) citation(crossing, week string, revision int) string {
	return strings.NewReplacer("{crossing}", crossing, "{week}", week, "{revision}", strconv.Itoa(revision)).Replace(o.Citation)
}

// WeeklySummaryRecord is one published revision of a week's summary. The
// database refuses to change or delete it.
type WeeklySummaryRecord struct {
	ID                  int64
	Week                string
	Revision            int
	WeekStart           Date
	Data                string // the WeeklySummary as JSON
	ContentHash         string // of the data without revision, time, licence and citation
	Changes             string // []SummaryChange as JSON, from the previous revision
	ModelVersion        string
	GeneratedAt         time.Time
	HasData             bool
	TrucksToAfghanistan int
	TrucksToPakistan    int
	HoursClosed         float64
}

// TableName is weekly_summaries.
func (WeeklySummaryRecord) TableName() string { return "weekly_summaries" }

// ParsedChanges decodes the list of changes from the previous revision.
func (r WeeklySummaryRecord) ParsedChanges() []SummaryChange {
	var changes []SummaryChange
	_ = json.Unmarshal([]byte(r.Changes), &changes)
	return changes
}

// Summary decodes the revision's data.
func (r WeeklySummaryRecord) Summary() (WeeklySummary, error) {
	var s WeeklySummary
	if err := json.Unmarshal([]byte(r.Data), &s); err != nil {
		return s, fmt.Errorf("read the summary of %s revision %d: %w", r.Week, r.Revision, err)
	}
	return s, nil
}

// WeeklySummaryFile is one rendered file of a revision: for all crossings
// (Crossing "") or one, in one format and language (Lang "" for the
// language-neutral CSV and JSON), with its SHA-256.
type WeeklySummaryFile struct {
	SummaryID int64  `gorm:"primaryKey;autoIncrement:false"`
	Crossing  string `gorm:"primaryKey"`
	Format    string `gorm:"primaryKey"`
	Lang      string `gorm:"primaryKey"`
	Content   []byte
	SHA256    string `gorm:"column:sha256"`
}

// SummaryChange is one figure or status that differs from the previous
// revision.
type SummaryChange struct {
	Crossing string `json:"crossing"`
	Date     string `json:"date,omitempty"`
	Field    string `json:"field"`
	Old      string `json:"old"`
	New      string `json:"new"`
}

// PublishWeeklySummaries builds the summary of week as of now and stores
// it as a new revision with its files, in one transaction, unless the
// latest revision already holds the same data: then nothing is written. It
// returns the rows written. A week that is not over in opts.Location is
// refused.
func PublishWeeklySummaries(ctx context.Context, db *gorm.DB, week ISOWeek, now time.Time, opts ReportOptions) (int, error) {
	if len(opts.Languages) == 0 || opts.Languages[0].Lang() != "en" {
		return 0, errors.New("publish a weekly summary: the report languages must start with English")
	}
	if err := CheckWeekOver(week, now, opts.Location); err != nil {
		return 0, err
	}
	s, err := BuildWeeklySummary(ctx, db, week, now)
	if err != nil {
		return 0, err
	}
	hash, err := contentHash(s)
	if err != nil {
		return 0, err
	}
	written := 0
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if Dialect(tx) == DialectPostgres {
			// One publisher of a week at a time, across replicas.
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", 6, week.Year*100+week.Week).Error; err != nil {
				return fmt.Errorf("lock the week: %w", err)
			}
		}
		var latest []WeeklySummaryRecord
		if err := tx.Where("week = ?", week.String()).Order("revision DESC").Limit(1).Find(&latest).Error; err != nil {
			return fmt.Errorf("read the latest revision: %w", err)
		}
		var changes []SummaryChange
		s.Revision = 1
		if len(latest) == 1 {
			if latest[0].ContentHash == hash {
				return nil
			}
			previous, err := latest[0].Summary()
			if err != nil {
				return err
			}
			s.Revision = latest[0].Revision + 1
			changes = CompareSummaries(previous, s)
		}
		files, err := renderSummaryFiles(&s, opts)
		if err != nil {
			return err
		}
		data, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode the summary: %w", err)
		}
		changesJSON, err := json.Marshal(changes)
		if err != nil {
			return err
		}
		if changes == nil {
			changesJSON = []byte("[]")
		}
		rec := WeeklySummaryRecord{Week: s.Week, Revision: s.Revision, WeekStart: s.From, Data: string(data), ContentHash: hash,
			Changes: string(changesJSON), ModelVersion: s.ModelVersion, GeneratedAt: now.UTC().Truncate(time.Second), HasData: s.HasData,
			TrucksToAfghanistan: s.Totals.ToAfghanistan, TrucksToPakistan: s.Totals.ToPakistan, HoursClosed: s.Totals.HoursClosed}
		if err := tx.Create(&rec).Error; err != nil {
			return fmt.Errorf("store the summary: %w", err)
		}
		for i := range files {
			files[i].SummaryID = rec.ID
		}
		if err := tx.CreateInBatches(files, 8).Error; err != nil {
			return fmt.Errorf("store the summary's files: %w", err)
		}
		written = 1 + len(files)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("publish the summary of %s: %w", week, err)
	}
	return written, nil
}

// contentHash fingerprints what a summary says, leaving out what differs
// between two runs over the same data.
func contentHash(s WeeklySummary) (string, error) {
	s.Revision, s.GeneratedAt, s.License, s.Citation = 0, "", "", ""
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode the summary: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// renderSummaryFiles fills in the licence and citation and renders every
// format for all crossings and for each one: the CSV and JSON once, the
// PDF and XLSX in each language.
func renderSummaryFiles(s *WeeklySummary, opts ReportOptions) ([]WeeklySummaryFile, error) {
	defer forgetReportLayouts()
	english := opts.Languages[0]
	s.License = opts.License
	s.Citation = opts.citation(english.T("reports.all_crossings"), s.Week, s.Revision)
	var files []WeeklySummaryFile
	add := func(crossing string, sum WeeklySummary) error {
		for _, format := range ReportFormats {
			for i, lang := range opts.Languages {
				if languageNeutral(format) && i > 0 {
					continue
				}
				b, err := RenderWeeklySummary(sum, format, lang)
				if err != nil {
					return fmt.Errorf("render the %s of %s in %s: %w", format, sum.Week, lang.Lang(), err)
				}
				digest := sha256.Sum256(b)
				f := WeeklySummaryFile{Crossing: crossing, Format: format, Content: b, SHA256: hex.EncodeToString(digest[:])}
				if !languageNeutral(format) {
					f.Lang = lang.Lang()
				}
				files = append(files, f)
			}
		}
		return nil
	}
	if err := add("", *s); err != nil {
		return nil, err
	}
	for _, c := range s.Crossings {
		one, _ := s.ForCrossing(c.Slug)
		one.Citation = opts.citation(c.Name, s.Week, s.Revision)
		if err := add(c.Slug, one); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// RenderWeeklySummary renders a summary in one of ReportFormats, with the
// labels in lang.
func RenderWeeklySummary(s WeeklySummary, format string, lang ReportLanguage) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch format {
	case "json":
		err = writeSummaryJSON(&buf, s)
	case "csv":
		err = writeSummaryCSV(&buf, s, lang.T)
	case "xlsx":
		err = writeSummaryXLSX(&buf, s, lang)
	case "pdf":
		err = writeSummaryPDF(&buf, s, lang)
	default:
		return nil, fmt.Errorf("no report format %q", format)
	}
	return buf.Bytes(), err
}

// CompareSummaries lists what changed from old to new: each day's status,
// hours and loaded trucks, verification, and each category's trucks.
func CompareSummaries(old, new WeeklySummary) []SummaryChange {
	var changes []SummaryChange
	add := func(crossing, date, field, o, n string) {
		if o != n {
			changes = append(changes, SummaryChange{Crossing: crossing, Date: date, Field: field, Old: o, New: n})
		}
	}
	oldByCrossing := map[string]CrossingWeek{}
	for _, c := range old.Crossings {
		oldByCrossing[c.Slug] = c
	}
	for _, c := range new.Crossings {
		o, ok := oldByCrossing[c.Slug]
		if !ok {
			add(c.Slug, "", "crossing", "", c.Name)
			continue
		}
		for i, d := range c.Days {
			if i >= len(o.Days) {
				break
			}
			od, date := o.Days[i], d.Date.String()
			add(c.Slug, date, "state", stateText(od.State), stateText(d.State))
			add(c.Slug, date, "hours_closed", FormatNumber(od.HoursClosed), FormatNumber(d.HoursClosed))
			add(c.Slug, date, "hours_restricted", FormatNumber(od.HoursRestricted), FormatNumber(d.HoursRestricted))
			add(c.Slug, date, "to_afghanistan", intText(od.ToAfghanistan), intText(d.ToAfghanistan))
			add(c.Slug, date, "to_pakistan", intText(od.ToPakistan), intText(d.ToPakistan))
			add(c.Slug, date, "verified", strconv.FormatBool(od.Verified), strconv.FormatBool(d.Verified))
		}
		oldCats := map[string]int{}
		for _, cat := range o.Categories {
			oldCats[string(cat.Direction)+"."+cat.Category] = cat.Trucks
		}
		for _, cat := range c.Categories {
			key := string(cat.Direction) + "." + cat.Category
			add(c.Slug, "", "trucks."+key, strconv.Itoa(oldCats[key]), strconv.Itoa(cat.Trucks))
		}
		add(c.Slug, "", "closures", strconv.Itoa(len(o.Closures)), strconv.Itoa(len(c.Closures)))
		add(c.Slug, "", "costs_status", o.CostsStatus, c.CostsStatus)
	}
	add("", "", "model_version", old.ModelVersion, new.ModelVersion)
	return changes
}

func stateText(s *State) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func intText(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// FormatNumber writes a number as every format does: no exponent, no
// trailing zeros.
func FormatNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// WeeklySummaryList lists the latest revision of every published week,
// newest week first, without the data.
func WeeklySummaryList(ctx context.Context, db *gorm.DB) ([]WeeklySummaryRecord, error) {
	var list []WeeklySummaryRecord
	err := db.WithContext(ctx).Omit("data").
		Where("revision = (SELECT MAX(s2.revision) FROM weekly_summaries s2 WHERE s2.week = weekly_summaries.week)").
		Order("week_start DESC").Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("list weekly summaries: %w", err)
	}
	return list, nil
}

// WeeklySummaryRevisions returns every revision of week, newest first,
// with its data; none when the week was never published.
func WeeklySummaryRevisions(ctx context.Context, db *gorm.DB, week ISOWeek) ([]WeeklySummaryRecord, error) {
	var list []WeeklySummaryRecord
	if err := db.WithContext(ctx).Where("week = ?", week.String()).Order("revision DESC").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("read the revisions of %s: %w", week, err)
	}
	return list, nil
}

// WeeklySummaryFiles returns the checksums of a revision's files, without
// their content, by crossing ("" for all), format and language.
func WeeklySummaryFiles(ctx context.Context, db *gorm.DB, summaryID int64) ([]WeeklySummaryFile, error) {
	var files []WeeklySummaryFile
	err := db.WithContext(ctx).Select("summary_id, crossing, format, lang, sha256").
		Where("summary_id = ?", summaryID).Order("crossing, format, lang").Find(&files).Error
	if err != nil {
		return nil, fmt.Errorf("list the files of summary %d: %w", summaryID, err)
	}
	return files, nil
}

// ErrNoSuchRevision is returned for a revision a published week does not
// have; ErrNotInRevision for a crossing a revision has no file of (it was
// added or made public later).
var (
	ErrNoSuchRevision = errors.New("no such revision")
	ErrNotInRevision  = errors.New("crossing not in this revision")
)

// NotInLanguageError is returned for a language a revision's PDF or XLSX
// was not written in (a revision published before the files were written
// in every language has only English); Available lists those it was.
type NotInLanguageError struct {
	Lang      string
	Available []string
}

func (e *NotInLanguageError) Error() string {
	return fmt.Sprintf("no file in %q; there is one in %s", e.Lang, strings.Join(e.Available, ", "))
}

// StoredSummaryFile is one stored file with the revision it belongs to.
type StoredSummaryFile struct {
	WeeklySummaryFile
	Revision    int
	GeneratedAt time.Time
}

// FindWeeklySummaryFile returns the stored file of week in format for a
// crossing ("" for all), of revision (0 for the latest), in lang (which the
// CSV and JSON, written once for all languages, ignore). A week never
// published is ErrNotFound; a revision it lacks, ErrNoSuchRevision; a
// language the file was not written in, a *NotInLanguageError.
func FindWeeklySummaryFile(ctx context.Context, db *gorm.DB, week ISOWeek, revision int, crossing, format, lang string) (StoredSummaryFile, error) {
	if languageNeutral(format) {
		lang = ""
	}
	q := db.WithContext(ctx).Omit("data").Where("week = ?", week.String())
	if revision > 0 {
		q = q.Where("revision = ?", revision)
	}
	var recs []WeeklySummaryRecord
	if err := q.Order("revision DESC").Limit(1).Find(&recs).Error; err != nil {
		return StoredSummaryFile{}, fmt.Errorf("find the summary of %s: %w", week, err)
	}
	if len(recs) == 0 {
		if revision > 0 {
			var n int64
			if err := db.WithContext(ctx).Model(&WeeklySummaryRecord{}).Where("week = ?", week.String()).Count(&n).Error; err != nil {
				return StoredSummaryFile{}, err
			}
			if n > 0 {
				return StoredSummaryFile{}, fmt.Errorf("%s revision %d: %w", week, revision, ErrNoSuchRevision)
			}
		}
		return StoredSummaryFile{}, fmt.Errorf("summary of %s: %w", week, ErrNotFound)
	}
	var f WeeklySummaryFile
	err := db.WithContext(ctx).Where("summary_id = ? AND crossing = ? AND format = ? AND lang = ?", recs[0].ID, crossing, format, lang).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		var langs []string
		if err := db.WithContext(ctx).Model(&WeeklySummaryFile{}).Where("summary_id = ? AND crossing = ? AND format = ?", recs[0].ID, crossing, format).
			Order("lang").Pluck("lang", &langs).Error; err != nil {
			return StoredSummaryFile{}, fmt.Errorf("read the languages of the %s file of %s: %w", format, week, err)
		}
		if len(langs) > 0 {
			return StoredSummaryFile{}, &NotInLanguageError{Lang: lang, Available: langs}
		}
		return StoredSummaryFile{}, fmt.Errorf("the %s file of %s for %q: %w", format, week, crossing, ErrNotInRevision)
	}
	if err != nil {
		return StoredSummaryFile{}, fmt.Errorf("read the %s file of %s: %w", format, week, err)
	}
	return StoredSummaryFile{WeeklySummaryFile: f, Revision: recs[0].Revision, GeneratedAt: recs[0].GeneratedAt}, nil
}
