package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"borderflow/models"
)

// exportWeekly runs "export weekly --week 2026-W47 --format csv|xlsx|pdf|json
// [-o FILE] [--crossing SLUG] [--revision N] [--lang LANG]": it writes the
// stored file of the week, byte for byte what /reports serves, publishing
// the week first (as the weekly-summary job would) when it never was.
func (cli CLI) exportWeekly(ctx context.Context, args []string) error {
	fs := cli.flagSet("export weekly", "export weekly --week 2026-W47 --format csv|xlsx|pdf|json [-o FILE] [--crossing SLUG] [--revision N] [--lang LANG]\n\n"+
		"Writes a weekly summary as published: the latest revision, or --revision N. A week\n"+
		"that was never published is published first, as the weekly-summary job does. The\n"+
		"file is the one /reports/{week}.{format}?lang=LANG serves, with the same SHA-256.\n"+
		"The PDF and XLSX are stored in each language; the CSV and JSON are one file for all.")
	week := fs.String("week", "", "ISO week, such as 2026-W47 (Monday to Sunday)")
	format := fs.String("format", "", "csv, xlsx, pdf or json")
	out := fs.String("o", "", "file to write; standard output when absent")
	crossing := fs.String("crossing", "", "slug of one crossing; all crossings when absent")
	revision := fs.Int("revision", 0, "revision to write; the latest when absent")
	lang := fs.String("lang", "en", "language of the PDF and XLSX: en, ur, ps or fa-AF")
	if len(args) == 0 || args[0] != "weekly" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return nil
		}
		return usagef("export needs what to export: export weekly --week 2026-W47 --format pdf")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	l, err := NewTranslator()
	if err != nil {
		return err
	}
	en := l.Locale("en")
	w, err := models.ParseISOWeek(*week)
	if err != nil {
		if *week == "" {
			return usagef("export weekly needs --week, such as --week 2026-W47")
		}
		return usageError{weekMessage(en, err)}
	}
	if !slices.Contains(models.ReportFormats, *format) {
		return usagef("--format must be csv, xlsx, pdf or json, not %q", *format)
	}
	if *revision < 0 {
		return usagef("--revision must be 1 or more, not %d", *revision)
	}
	if !l.Speaks(*lang) {
		var langs []string
		for _, loc := range l.Locales() {
			langs = append(langs, loc.Lang())
		}
		return usagef("--lang must be one of %s, not %q", strings.Join(langs, ", "), *lang)
	}
	cfg, h, err := cli.openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer h.close()
	if err := cfg.applyDigits(l); err != nil {
		return err
	}
	if *crossing != "" {
		if _, err := models.PublicCrossingBySlug(ctx, h.db, *crossing); errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("there is no crossing %q; use a crossing's short name, such as torkham or chaman", *crossing)
		} else if err != nil {
			return err
		}
	}
	f, err := models.FindWeeklySummaryFile(ctx, h.db, w, *revision, *crossing, *format, *lang)
	if errors.Is(err, models.ErrNotFound) && *revision == 0 {
		if _, err := models.PublishWeeklySummaries(ctx, h.db, w, time.Now(), reportOptions(cfg, l)); err != nil {
			var ve *models.ValidationError
			if errors.As(err, &ve) {
				return errors.New(weekMessage(en, err))
			}
			return err
		}
		f, err = models.FindWeeklySummaryFile(ctx, h.db, w, 0, *crossing, *format, *lang)
	}
	var notInLang *models.NotInLanguageError
	switch {
	case errors.As(err, &notInLang):
		which := fmt.Sprintf("revision %d of %s", *revision, w)
		if *revision == 0 {
			which = "the latest revision of " + w.String()
		}
		return fmt.Errorf("%s has its %s only in %s, as it was published before summaries were written in every language; choose one of those with --lang",
			which, *format, strings.Join(notInLang.Available, ", "))
	case errors.Is(err, models.ErrNoSuchRevision):
		return fmt.Errorf("%s has no revision %d; run without --revision for the latest", w, *revision)
	case errors.Is(err, models.ErrNotInRevision):
		return fmt.Errorf("%s is not in revision %d of %s", *crossing, *revision, w)
	case errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("%s has not been published, so it has no revision %d", w, *revision)
	case err != nil:
		return err
	}
	if *out == "" {
		_, err := cli.Stdout.Write(f.Content)
		return err
	}
	if err := os.WriteFile(*out, f.Content, 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %s", *out, firstLine(err))
	}
	fmt.Fprintf(cli.Stderr, "Wrote %s: %s, revision %d, %d bytes, SHA-256 %s.\n",
		*out, reportFileName(w, *crossing, f.Revision, *format, f.Lang), f.Revision, len(f.Content), f.SHA256)
	return nil
}

// weekMessage is a refused week in plain words.
func weekMessage(l *Locale, err error) string {
	var ve *models.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		return err.Error()
	}
	f := ve.Fields[0]
	return strings.TrimSuffix(l.T("reports.error_"+f.Code, paramArgs(f.Params)...), ".")
}
