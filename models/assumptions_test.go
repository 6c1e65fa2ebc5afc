package models_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"borderflow/models"
	"borderflow/models/testdb"
)

// TestAssumptionsDocumentMatchesSeed keeps docs/ASSUMPTIONS.md true: each
// seeded category has a row there with the same values.
func TestAssumptionsDocumentMatchesSeed(t *testing.T) {
	doc, err := os.ReadFile("../docs/ASSUMPTIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) > 2 {
			rows[strings.TrimSpace(cells[1])] = line
		}
	}
	categories, err := models.CargoCategories(context.Background(), testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	p := message.NewPrinter(language.English)
	yesNo := map[bool]string{true: "yes", false: "no"}
	for _, c := range categories {
		shelf := "–"
		if c.ShelfLifeDays != nil {
			shelf = fmt.Sprint(*c.ShelfLifeDays)
		}
		want := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s%% | %s |", c.Code, c.Name, c.UsualDirection,
			yesNo[c.Perishable], yesNo[c.Humanitarian], p.Sprintf("%.0f", c.ValuePerTruckUSD), shelf,
			fmt.Sprintf("%.0f", c.DailySpoilageRate*100), p.Sprintf("%.0f", c.HoldingCostUSDPerDay))
		if got := rows[c.Code]; got != want {
			t.Errorf("docs/ASSUMPTIONS.md row for %s:\n got %s\nwant %s", c.Code, got, want)
		}
	}
}
