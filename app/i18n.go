package app

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed locales/*.toml
var localeFiles embed.FS

// rtlLanguages are written right to left.
var rtlLanguages = map[string]bool{"ur": true, "ps": true, "fa": true, "ar": true}

// Translator holds the message catalogs of every language borderflow speaks.
type Translator struct {
	matcher language.Matcher
	tags    []language.Tag
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
	files, err := fs.Glob(localeFiles, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := localeFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if _, err := bundle.ParseMessageFileBytes(data, path.Base(f)); err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", f, err)
		}
	}
	tags := bundle.LanguageTags()
	tr := &Translator{matcher: language.NewMatcher(tags), tags: tags, locales: map[language.Tag]*Locale{}}
	for _, tag := range tags {
		base, _ := tag.Base()
		dir := "ltr"
		if rtlLanguages[base.String()] {
			dir = "rtl"
		}
		tr.locales[tag] = &Locale{
			Tag:       tag,
			Dir:       dir,
			localizer: i18n.NewLocalizer(bundle, tag.String()),
			printer:   message.NewPrinter(tag),
		}
	}
	return tr, nil
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
	printer   *message.Printer
}

// Lang is the BCP 47 tag for <html lang>.
func (l *Locale) Lang() string { return l.Tag.String() }

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
		data[fmt.Sprint(args[i])] = args[i+1]
	}
	s, err := l.localizer.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil || s == "" {
		return fmt.Sprintf(missingMark, id)
	}
	return s
}

// Number formats n with the language's digit grouping.
func (l *Locale) Number(n int) string { return l.printer.Sprintf("%d", n) }

// IsMissing reports whether a rendered text holds an untranslated message ID.
func IsMissing(rendered string) bool {
	return strings.Contains(rendered, "⟦")
}
