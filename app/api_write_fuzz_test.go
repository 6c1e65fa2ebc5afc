package app

import (
	"encoding/json"
	"strings"
	"testing"
)

// checkBodyProblem holds a refusal of a body to its contract: a message for
// the whole body, or problems that each name a field and a rule with a
// message in the catalog.
func checkBodyProblem(t *testing.T, l *Locale, p *bodyProblem) {
	t.Helper()
	if p.key != "" {
		if msg := l.T(p.key, p.args...); IsMissing(msg) {
			t.Fatalf("untranslated %s", p.key)
		}
		return
	}
	if len(p.fields) == 0 {
		t.Fatal("a refusal with neither a message nor fields")
	}
	for field, msg := range apiFieldMessages(l, p.fields) {
		if field == "" || msg == "" || IsMissing(msg) {
			t.Errorf("field %q: %q", field, msg)
		}
	}
}

// fuzzLocale is the English locale, for the messages of refusals.
func fuzzLocale(f *testing.F) *Locale {
	tr, err := NewTranslator()
	if err != nil {
		f.Fatal(err)
	}
	return tr.Locale()
}

// FuzzFiguresBody: any body either reads as a day's figures (a date, at
// most maxAPIFigures figures each with its field path) or is refused with
// reasons a client can act on.
func FuzzFiguresBody(f *testing.F) {
	for _, seed := range []string{
		cementDay,
		`{"date": "2026-11-27", "base_version": 3, "edit_reason": "typo", "confirm_implausible": true, "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 4, "tonnes": null, "value_usd": 1.5}]}`,
		`{"date": null, "figures": null}`,
		`{"date": "2026-11-27", "figures": [{"trucks": 1e3}, {"trucks": "4"}, {"trucks": -99999999999999999999}, 7, null]}`,
		`{"date": "2026-11-27", "figures": [], "extra": {"nested": [1, 2]}}`,
		`{"date": 1} trailing`,
		`[{"date": "2026-11-27"}]`,
		`{"date": "2026-11-27", "figures": [{"direction": "\u0000", "category": "\ud800", "trucks": 99999999999999999999}]}`,
		`{"a":` + strings.Repeat(`[`, 100),
		``,
	} {
		f.Add([]byte(seed))
	}
	l := fuzzLocale(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, problem := decodeFiguresBody(body)
		if problem != nil {
			checkBodyProblem(t, l, problem)
			return
		}
		if in.Date.IsZero() || len(in.Figures) == 0 || len(in.Figures) > maxAPIFigures {
			t.Fatalf("accepted %+v", in)
		}
		for _, fig := range in.Figures {
			if !strings.HasPrefix(fig.Field, "figures[") {
				t.Errorf("figure without its path: %+v", fig)
			}
		}
	})
}

// FuzzStatusBody: any body either reads as a status change or is refused
// with reasons a client can act on.
func FuzzStatusBody(f *testing.F) {
	for _, seed := range []string{
		`{"state": "closed", "effective_at": "2026-11-26T08:30:00+05:00", "reason": "security", "scope": null, "note": "…"}`,
		`{"state": "restricted", "scope": "cargo_closed", "reason": "other", "note": "<script>"}`,
		`{"state": 1, "scope": [], "reason": {}, "note": false, "effective_at": "yesterday"}`,
		`{"state": "open", "state": "closed"}`,
		`{}`,
		`null`,
		`"open"`,
	} {
		f.Add([]byte(seed))
	}
	l := fuzzLocale(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, problem := decodeStatusBody(body)
		if problem != nil {
			checkBodyProblem(t, l, problem)
			return
		}
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil || fields["state"] == nil {
			t.Fatalf("accepted a body without a state: %+v", in)
		}
		if in.Scope != nil && fields["scope"] == nil || in.Reason != nil && fields["reason"] == nil {
			t.Fatalf("accepted a scope or reason that was not sent: %+v", in)
		}
	})
}
