package app

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"borderflow/models"
)

// fuzzRules are Torkham's rules without a database: enough categories for
// the grid and the checks.
func fuzzRules() models.FigureRules {
	return models.FigureRules{
		Crossing: models.Crossing{ID: 1, Slug: "torkham", Name: "Torkham", TimeZone: "Asia/Karachi", RecordsFrom: models.NewDate(2020, 1, 1)},
		Today:    models.NewDate(2026, 11, 26),
		Categories: map[string]models.CargoCategory{
			"cement":  {ID: 5, Code: "cement", Name: "Cement", Loaded: true, ValuePerTruckUSD: 2500, SortOrder: 5},
			"transit": {ID: 12, Code: "transit", Name: "Transit", Loaded: true, ValuePerTruckUSD: 20000, SortOrder: 12},
			"empty":   {ID: 14, Code: "empty", Name: "Empty", Loaded: false, SortOrder: 14},
		},
		Limits: map[models.Direction]int{models.ToAfghanistan: 1000, models.ToPakistan: 1000},
	}
}

// FuzzEntryForm sends arbitrary form bodies through the entry form's
// parser, the rules and the page's layout: none may panic, and each body
// ends as typed figures or as field errors that name their field and rule.
func FuzzEntryForm(f *testing.F) {
	for _, seed := range []string{
		"date=2026-11-25&base_version=0&to_afghanistan.cement.bilateral.trucks=90&to_afghanistan.cement.bilateral.tonnes=3600.5",
		"date=2026-11-25&to_afghanistan.cement.bilateral.trucks=-1&to_pakistan.empty.bilateral.value_usd=1e9",
		"date=2026-13-45&base_version=-3&confirm=1&edit_reason=%00",
		"to_afghanistan.cement.bilateral.trucks=1&to_afghanistan.cement.bilateral.trucks=2",
		"a.b.c.trucks=1&....=2&x=y&to_afghanistan..bilateral.trucks=3",
		"date=2026-11-25&to_pakistan.transit.transit.trucks=%DB%B9%DB%B0&to_pakistan.transit.bilateral.trucks=NaN",
		"date=2026-11-25&to_afghanistan.cement.bilateral.trucks=99999999999999999999999&to_afghanistan.cement.bilateral.value_usd=.5",
	} {
		f.Add(seed)
	}
	rules := fuzzRules()
	tr, err := NewTranslator()
	if err != nil {
		f.Fatal(err)
	}
	l := tr.Locale("en")
	f.Fuzz(func(t *testing.T, body string) {
		params, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form, errs := parseEntryForm(params)
		for _, fe := range errs {
			if fe.Field == "" || fe.Code == "" {
				t.Fatalf("a field error without field or code: %+v", fe)
			}
		}
		for _, fig := range form.Figures {
			if _, ok := form.Values[fig.Field+"."+measureTrucks]; !ok {
				t.Fatalf("figure %+v has no trucks as typed", fig)
			}
		}
		in := models.DayInput{CrossingID: 1, Day: form.Day, BaseVersion: form.BaseVersion, Figures: form.Figures, ReplaceDay: true, EditReason: form.EditReason}
		if in.Day.IsZero() {
			in.Day = rules.Today
		}
		findings := append(errs, rules.CheckDayInput(in)...)
		p := &entryPage{Crossing: rules.Crossing, Errors: map[string]string{}}
		p.fill(l, rules, form.Values, form.Figures, findings)
		for _, msg := range p.Problems {
			if IsMissing(msg) || strings.Contains(msg, "<no value>") {
				t.Fatalf("untranslated or incomplete message %q", msg)
			}
		}
		refusals, _ := models.SplitWarnings(findings)
		if len(refusals) != len(p.Problems) {
			t.Fatalf("%d refusals but %d problems listed", len(refusals), len(p.Problems))
		}
	})
}

// FuzzStatusForm does the same for the status form.
func FuzzStatusForm(f *testing.F) {
	for _, seed := range []string{
		"state=closed&reason=security&note=%3Cscript%3E",
		"state=restricted&scope=pedestrians_only&reason=protest&effective_at=2026-11-25T08:30",
		"state=open&effective_at=2026-11-25T08:30:59&scope=",
		"state=x&scope=y&reason=z&effective_at=25/11/2026",
	} {
		f.Add(seed)
	}
	rules := fuzzRules()
	tr, err := NewTranslator()
	if err != nil {
		f.Fatal(err)
	}
	l := tr.Locale("en")
	loc := rules.Crossing.Location()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		params, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		_, in, errs := parseStatusForm(params, loc)
		errs = append(errs, models.CheckStatus(in, rules.Crossing, now)...)
		for _, fe := range errs {
			msg := validationMessage(l, fe, fieldLabel(l, rules, fe.Field))
			if fe.Field == "" || IsMissing(msg) || strings.Contains(msg, "<no value>") {
				t.Fatalf("finding %+v gives %q", fe, msg)
			}
		}
	})
}
