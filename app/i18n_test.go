package app

import (
	"io/fs"
	"regexp"
	"testing"

	"borderflow"
)

// TestEveryTemplateMessageIsInTheEnglishCatalog finds each literal message
// ID the templates use and checks that English has it.
func TestEveryTemplateMessageIsInTheEnglishCatalog(t *testing.T) {
	tr, err := NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	en := tr.Locale("en")
	call := regexp.MustCompile(`\.(?:T|N) "([a-z_.]+)"`)
	err = fs.WalkDir(borderflow.Files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(borderflow.Files, path)
		if err != nil {
			return err
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			if IsMissing(en.T(m[1])) {
				t.Errorf("%s uses %q, which the English catalog lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocaleChoiceAndDirection(t *testing.T) {
	tr, err := NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		prefs     []string
		lang, dir string
	}{
		{nil, "en", "ltr"},
		{[]string{"de-DE,de;q=0.9"}, "en", "ltr"},
		{[]string{"", "en-GB,en;q=0.8"}, "en", "ltr"},
	}
	for _, c := range cases {
		l := tr.Locale(c.prefs...)
		if l.Lang() != c.lang || l.Dir != c.dir {
			t.Errorf("Locale(%q) = %s %s, want %s %s", c.prefs, l.Lang(), l.Dir, c.lang, c.dir)
		}
	}
	en := tr.Locale("en")
	if got := en.N("unit.loaded_trucks", 1); got != "1 loaded truck" {
		t.Errorf("singular = %q", got)
	}
	if got := en.N("unit.loaded_trucks", 12345); got != "12,345 loaded trucks" {
		t.Errorf("plural with grouping = %q", got)
	}
	if got := en.T("no.such.message"); !IsMissing(got) {
		t.Errorf("a missing message should be marked, got %q", got)
	}
}
