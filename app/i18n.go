package app

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"borderflow/models"
)

//go:embed locales/*.toml
var localeFiles embed.FS

// rtlLanguages are written right to left.
var rtlLanguages = map[string]bool{"ur": true, "ps": true, "fa": true, "ar": true}

// easternDigitLanguages write numbers with Extended Arabic-Indic digits
// (۰۱۲۳۴۵۶۷۸۹) by default; Urdu may be switched to them (UseEasternDigits).
var easternDigitLanguages = map[string]bool{"ps": true, "fa": true}

// solarHijriLanguages are read in Afghanistan, whose official calendar is
// the Solar Hijri one: their dates carry it beside the Gregorian date.
var solarHijriLanguages = map[string]bool{"ps": true, "fa": true}

// Translator holds the message catalogs of every language borderflow speaks.
type Translator struct {
	matcher language.Matcher
	tags    []language.Tag
	// catalogs are the parsed message files, for UseEasternDigits.
	catalogs []*i18n.MessageFile
	// locales holds one Locale per catalog, made once: a Locale is
	// read-only, and making one per request cost a noticeable share of
	// serving a cached page.
	locales map[language.Tag]*Locale
}

// NewTranslator loads the embedded catalogs (locales/<tag>.toml); English
// is the fallback for any message a catalog lacks.
func NewTranslator() (*Translator, error) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	var catalogs []*i18n.MessageFile
	files, err := fs.Glob(localeFiles, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := localeFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		file, err := bundle.ParseMessageFileBytes(data, path.Base(f))
		if err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", f, err)
		}
		catalogs = append(catalogs, file)
	}
	tags := bundle.LanguageTags()
	tr := &Translator{matcher: language.NewMatcher(tags), tags: tags, catalogs: catalogs, locales: map[language.Tag]*Locale{}}
	for _, tag := range tags {
		base, _ := tag.Base()
		dir := "ltr"
		if rtlLanguages[base.String()] {
			dir = "rtl"
		}
		tr.locales[tag] = &Locale{
			Tag:           tag,
			Dir:           dir,
			localizer:     i18n.NewLocalizer(bundle, tag.String()),
			easternDigits: easternDigitLanguages[base.String()],
			solarHijri:    solarHijriLanguages[base.String()],
		}
	}
	all := make([]string, 0, len(tags))
	for _, tag := range menuOrder(tags) {
		all = append(all, tag.String())
	}
	for _, l := range tr.locales {
		l.all = all
	}
	return tr, nil
}

// menuOrder puts English first and the others in a fixed order.
func menuOrder(tags []language.Tag) []language.Tag {
	sorted := slices.Clone(tags)
	notEnglish := func(t language.Tag) int {
		if t == language.English {
			return 0
		}
		return 1
	}
	slices.SortFunc(sorted, func(a, b language.Tag) int {
		return cmp.Or(cmp.Compare(notEnglish(a), notEnglish(b)), strings.Compare(a.String(), b.String()))
	})
	return sorted
}

// Speaks reports whether lang is exactly the tag of one of the catalogs.
func (tr *Translator) Speaks(lang string) bool {
	for tag := range tr.locales {
		if tag.String() == lang {
			return true
		}
	}
	return false
}

// Locale picks the best language for the preferences given, in order (an
// explicit choice first, then an Accept-Language header), English when
// nothing matches.
func (tr *Translator) Locale(preferences ...string) *Locale {
	var wanted []language.Tag
	for _, p := range preferences {
		if p == "" {
			continue
		}
		if tags, _, err := language.ParseAcceptLanguage(p); err == nil {
			wanted = append(wanted, tags...)
		}
	}
	tag := language.English
	if len(wanted) > 0 {
		if _, index, confidence := tr.matcher.Match(wanted...); confidence >= language.High {
			tag = tr.tags[index]
		}
	}
	return tr.locales[tag]
}

// Locale translates and formats for one language; templates reach it as .L.
type Locale struct {
	Tag       language.Tag
	Dir       string // "ltr" or "rtl", for <html dir>
	localizer *i18n.Localizer
	// easternDigits writes ۰۱۲۳۴۵۶۷۸۹ and ٬ for 0123456789 and the
	// thousands separator.
	easternDigits bool
	solarHijri    bool     // dates carry the Solar Hijri date too
	all           []string // the tags of every language the site speaks, for the menu
}

// UseEasternDigits makes the language with base tag lang (ur) write
// Extended Arabic-Indic digits, in the numbers it formats and in those its
// catalog writes into sentences; call it before serving.
func (tr *Translator) UseEasternDigits(lang string) error {
	// A catalog of its own, with English to fall back on as in the main one.
	eastern := i18n.NewBundle(language.English)
	for _, file := range tr.catalogs {
		base, _ := file.Tag.Base()
		messages := file.Messages
		switch {
		case base.String() == lang:
			messages = withEasternLiterals(messages)
		case file.Tag != language.English:
			continue
		}
		if err := eastern.AddMessages(file.Tag, messages...); err != nil {
			return fmt.Errorf("message catalog %s: %w", file.Path, err)
		}
	}
	for tag, l := range tr.locales {
		if base, _ := tag.Base(); base.String() == lang {
			l.easternDigits = true
			l.localizer = i18n.NewLocalizer(eastern, tag.String())
		}
	}
	return nil
}

// withEasternLiterals copies messages with the numbers in their text
// written in Eastern digits (see easternLiterals).
func withEasternLiterals(messages []*i18n.Message) []*i18n.Message {
	out := make([]*i18n.Message, len(messages))
	for i, m := range messages {
		c := *m
		for _, form := range []*string{&c.Zero, &c.One, &c.Two, &c.Few, &c.Many, &c.Other} {
			*form = easternLiterals(*form)
		}
		out[i] = &c
	}
	return out
}

// easternLiterals writes the numbers in a message's text in Eastern digits
// and separators, as the Pashto and Dari catalogs are written. It leaves
// alone placeholders ({{.Count}}, formatted when the message is) and
// numbers that belong to a Latin name, code or time (UTF-8, SHA-256,
// 2026-W47, RFC 3339, 08:00), which are typed as they are shown.
func easternLiterals(s string) string {
	var b strings.Builder
	for s != "" {
		text, rest, placeholder := strings.Cut(s, "{{")
		b.WriteString(easternNumbersIn(text))
		if !placeholder {
			break
		}
		inside, after, _ := strings.Cut(rest, "}}")
		b.WriteString("{{" + inside + "}}")
		s = after
	}
	return b.String()
}

// literalNumber is a number as a sentence writes it: 14, 10,000, 0.08.
var literalNumber = regexp.MustCompile(`[0-9]+(?:[.,][0-9]+)*`)

func easternNumbersIn(text string) string {
	var b strings.Builder
	last := 0
	for _, at := range literalNumber.FindAllStringIndex(text, -1) {
		b.WriteString(text[last:at[0]])
		number := text[at[0]:at[1]]
		if partOfCode(text[:at[0]], text[at[1]:]) {
			b.WriteString(number)
		} else {
			b.WriteString(easternDigits.Replace(number))
		}
		last = at[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// partOfCode reports whether a number between before and after belongs to
// a code: it touches a Latin letter or a code's punctuation, or follows a
// Latin word (RFC 3339).
func partOfCode(before, after string) bool {
	codeRune := func(r rune) bool {
		return r < utf8.RuneSelf && (unicode.IsLetter(r) || strings.ContainsRune("-+:/_", r))
	}
	prev, _ := utf8.DecodeLastRuneInString(before)
	next, _ := utf8.DecodeRuneInString(after)
	if codeRune(prev) || codeRune(next) {
		return true
	}
	word, spaced := strings.CutSuffix(before, " ")
	word = word[strings.LastIndex(word, " ")+1:]
	return spaced && word != "" && strings.IndexFunc(word, func(r rune) bool { return r >= utf8.RuneSelf || !unicode.IsLetter(r) }) < 0
}

// Lang is the BCP 47 tag for <html lang>.
func (l *Locale) Lang() string { return l.Tag.String() }

// RightToLeft reports whether the language is written right to left.
func (l *Locale) RightToLeft() bool { return l.Dir == "rtl" }

// Locales returns a Locale for each language, English first, in the order
// of the language menu.
func (tr *Translator) Locales() []*Locale {
	tags := menuOrder(tr.tags)
	out := make([]*Locale, len(tags))
	for i, tag := range tags {
		out[i] = tr.locales[tag]
	}
	return out
}

// missingMark wraps the ID of a message that no catalog has, so that a test
// that renders the page catches it and a reader sees which text is missing.
const missingMark = "⟦%s⟧"

// T translates the message id; args are name, value pairs for the
// message's {{.Name}} placeholders.
func (l *Locale) T(id string, args ...any) string {
	return l.translate(id, nil, args)
}

// N translates the message id in the plural form for count, which the
// message reaches as {{.Count}}.
func (l *Locale) N(id string, count int, args ...any) string {
	return l.translate(id, count, append(args, "Count", l.Number(count)))
}

func (l *Locale) translate(id string, count any, args []any) string {
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		data[fmt.Sprint(args[i])] = l.argument(args[i+1])
	}
	s, err := l.localizer.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil || s == "" {
		return fmt.Sprintf(missingMark, id)
	}
	return s
}

// argument readies a message argument: a whole number is written in the
// language's digits (ungrouped: it may be a year or a line number).
func (l *Locale) argument(v any) any {
	switch n := v.(type) {
	case int:
		return l.Digits(strconv.Itoa(n))
	case int64:
		return l.Digits(strconv.FormatInt(n, 10))
	}
	return v
}

// CategoryName names a cargo category in the language: a reference
// category by its catalog name, one added later (or any in English) by the
// name it was given, which staff may have edited.
func (l *Locale) CategoryName(code, name string) string {
	if l.Lang() == "en" {
		return name
	}
	s, err := l.localizer.Localize(&i18n.LocalizeConfig{MessageID: "category_name." + code})
	if err != nil || s == "" {
		return name
	}
	return s
}

// Number formats n with thousands grouped, in the language's digits.
func (l *Locale) Number(n int) string {
	digits := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return l.Digits(b.String())
}

// Decimal formats v with at most places decimals (trailing zeros dropped),
// thousands grouped, in the language's digits and separators.
func (l *Locale) Decimal(v float64, places int) string {
	s := strconv.FormatFloat(v, 'f', places, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	whole, fraction, hasFraction := strings.Cut(s, ".")
	n, _ := strconv.Atoi(whole)
	out := l.Number(n)
	if n == 0 && strings.HasPrefix(whole, "-") {
		out = "-" + out
	}
	if hasFraction {
		out += l.Digits("." + fraction)
	}
	return out
}

// USD writes an amount of US dollars rounded to the dollar: estimates are
// never more precise than that.
func (l *Locale) USD(v float64) string {
	return l.T("format.usd", "Amount", l.Number(int(math.Round(v))))
}

// easternDigits maps Western digits and separators to Extended
// Arabic-Indic ones (with the Arabic thousands and decimal separators).
var easternDigits = strings.NewReplacer(
	"0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹",
	",", "٬", ".", "٫")

// Code writes a code such as a week (2026-W47) for reading inside the
// language's text: in its digits and, on a right-to-left page, isolated
// (U+2068 … U+2069) so that the parts of it are not reordered.
func (l *Locale) Code(s string) string {
	s = l.Digits(s)
	if l.RightToLeft() {
		return "\u2068" + s + "\u2069"
	}
	return s
}

// Digits writes the digits of an already formatted number, date or time in
// the language's digits; for Western digits it returns s as it is.
func (l *Locale) Digits(s string) string {
	if !l.easternDigits {
		return s
	}
	return easternDigits.Replace(s)
}

// Date writes a calendar day in the language, with the Solar Hijri date
// beside it where it is read.
func (l *Locale) Date(d models.Date) string {
	if d.IsZero() {
		return ""
	}
	return l.date(d.Start(time.UTC))
}

func (l *Locale) date(t time.Time) string {
	gregorian := l.T("format.date", "Day", l.Digits(strconv.Itoa(t.Day())),
		"Month", l.T("month."+strconv.Itoa(int(t.Month()))), "Year", l.Digits(strconv.Itoa(t.Year())))
	if !l.solarHijri {
		return gregorian
	}
	y, m, d := solarHijri(t)
	solar := l.T("format.date", "Day", l.Digits(strconv.Itoa(d)),
		"Month", l.T("solar_month."+strconv.Itoa(m)), "Year", l.Digits(strconv.Itoa(y)))
	return l.T("format.date_with_solar", "Date", gregorian, "Solar", solar)
}

// DateTime writes an instant in a zone with the zone's abbreviation, so
// that nobody has to guess which clock it is.
func (l *Locale) DateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return l.T("format.datetime", "Date", l.date(t), "Time", l.Digits(t.Format("15:04")), "Zone", t.Format("MST"))
}

// MonthYear names a month, for chart axes.
func (l *Locale) MonthYear(t time.Time) string {
	return l.T("format.month_year", "Month", l.T("month."+strconv.Itoa(int(t.Month()))), "Year", l.Digits(strconv.Itoa(t.Year())))
}

// IsMissing reports whether a rendered text holds an untranslated message ID.
func IsMissing(rendered string) bool {
	return strings.Contains(rendered, "⟦")
}
