package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// TestAssumptionsDocumentMatchesImpactSeed keeps docs/ASSUMPTIONS.md true
// for what migration 00006 seeds (the crossings' customs revenue and the
// exchange rates), on both databases, whose migrations must agree.
func TestAssumptionsDocumentMatchesImpactSeed(t *testing.T) {
	doc, err := os.ReadFile("../docs/ASSUMPTIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	p := message.NewPrinter(language.English)
	var seen []string
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		a, err := models.CurrentAssumptions(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range a.Crossings {
			want := p.Sprintf("| %s | %.0f | ", c.Slug, c.CustomsRevenuePerDayUSD)
			if !strings.Contains(string(doc), want) {
				t.Errorf("docs/ASSUMPTIONS.md has no row %q", want)
			}
		}
		if len(a.ExchangeRates) != 2 {
			t.Errorf("exchange rates %v, want PKR and AFN", a.ExchangeRates)
		}
		for code, r := range a.ExchangeRates {
			want := fmt.Sprintf("| %s | %.0f | %s | %s |", code, r.UnitsPerUSD, r.AsOf, r.Source)
			if !strings.Contains(string(doc), want) {
				t.Errorf("docs/ASSUMPTIONS.md has no row %q", want)
			}
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, string(b))
	})
	if len(seen) == 2 && seen[0] != seen[1] {
		t.Errorf("the two dialects seed different assumptions:\n%s\n%s", seen[0], seen[1])
	}
}
