package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"
)

// referenceCrossing is a crossing seeded by migration.
type referenceCrossing struct {
	Slug, Name, AfghanSide, Province string
	Latitude, Longitude              float64
	TimeZone, Hours, RecordsFrom     string
	SortOrder                        int
}

// The two main crossings, as DOMAIN.md describes them. Administrators add
// the others; records are accepted from 2020, after Torkham went 24/7.
var referenceCrossings = []referenceCrossing{
	{"torkham", "Torkham", "Torkham (Nangarhar)", "Khyber Pakhtunkhwa", 34.10, 71.09,
		"Asia/Karachi", "24 hours, 7 days (since September 2019)", "2020-01-01", 1},
	{"chaman", "Chaman", "Spin Boldak (Kandahar)", "Balochistan", 30.92, 66.45,
		"Asia/Karachi", "Trade 08:00–17:00, six days a week; pedestrians 08:00–16:00", "2020-01-01", 2},
}

// referenceCategory is a cargo category with the default valuation
// assumptions of the loss model. docs/ASSUMPTIONS.md explains each figure.
type referenceCategory struct {
	Code, Name, UsualDirection        string
	Loaded, Perishable, Humanitarian  bool
	ValuePerTruckUSD                  float64
	ShelfLifeDays                     int // 0: not perishable
	DailySpoilageRate, HoldingCostUSD float64
	Source                            string
}

// Holding cost of an ordinary truck: the Rs 6,000 a day truck holding charge
// at Rs 280 to the dollar; a transit container: $160 a day detention (PAJCCI).
const (
	truckHoldingUSD     = 21.0
	containerHoldingUSD = 160.0
)

// The categories of DOMAIN.md. Values per truck are a typical load times a
// typical border price; changing them later takes a new migration, never an
// edit here, so that past estimates stay reproducible.
var referenceCategories = []referenceCategory{
	{"fresh_produce", "Fresh fruit and vegetables", "both", true, true, false, 6000, 10, 0.08, truckHoldingUSD,
		"20 t of kinnow, apples or onion at about $300/t; sold within 10 days, about 8% a day lost once held"},
	{"dry_fruit", "Dry fruit and nuts", "to_pakistan", true, false, false, 20000, 0, 0, truckHoldingUSD,
		"10 t of raisins, almonds or pine nuts at about $2,000/t"},
	{"coal", "Coal", "to_pakistan", true, false, false, 4000, 0, 0, truckHoldingUSD,
		"30 t at about $130/t delivered at the border"},
	{"minerals", "Soapstone, chromite, talc and other minerals", "to_pakistan", true, false, false, 3000, 0, 0, truckHoldingUSD,
		"30 t of soapstone or talc at about $100/t"},
	{"cement", "Cement and building materials", "to_afghanistan", true, false, false, 2500, 0, 0, truckHoldingUSD,
		"40 t at about $62/t"},
	{"food_staples", "Wheat, flour and rice", "to_afghanistan", true, false, true, 8000, 0, 0, truckHoldingUSD,
		"25 t of flour or rice at about $320/t"},
	{"edible_oil", "Edible oil and ghee", "to_afghanistan", true, false, false, 18000, 0, 0, truckHoldingUSD,
		"18 t of ghee or cooking oil at about $1,000/t"},
	{"medicine", "Medicines and medical supplies", "to_afghanistan", true, false, true, 40000, 0, 0, truckHoldingUSD,
		"a mixed truck of medicines, valued from customs declarations"},
	{"aid", "UN and NGO humanitarian consignments", "to_afghanistan", true, false, true, 20000, 0, 0, truckHoldingUSD,
		"a mixed relief consignment (food, shelter and hygiene kits)"},
	{"textiles", "Cloth and garments", "to_afghanistan", true, false, false, 25000, 0, 0, truckHoldingUSD,
		"10 t of cloth at about $2,500/t"},
	{"livestock", "Livestock and meat", "both", true, true, false, 10000, 5, 0.05, truckHoldingUSD,
		"about 20 head of cattle or a chilled meat load; fodder and weight loss while held"},
	{"transit", "Transit containers (Afghan Transit Trade)", "both", true, false, false, 20000, 0, 0, containerHoldingUSD,
		"a 40-foot container of mixed goods; $160 a day detention"},
	{"other", "Other goods", "both", true, false, false, 8000, 0, 0, truckHoldingUSD,
		"the average loaded truck at Torkham ($3M a day over about 400 loaded trucks)"},
	{"empty", "Empty trucks returning", "both", false, false, false, 0, 0, 0, 0,
		"no trade value; counted so that loaded and empty movements are never mixed"},
}

// referenceDataMigration seeds the crossings and cargo categories. It is a Go
// migration so that one list serves both dialects.
func referenceDataMigration(dialect string) *goose.Migration {
	return goose.NewGoMigration(2,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return seedReferenceData(ctx, tx, dialect) }},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "DELETE FROM cargo_categories"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "DELETE FROM crossings")
			return err
		}},
	)
}

func seedReferenceData(ctx context.Context, tx *sql.Tx, dialect string) error {
	insertCrossing := placeholders(dialect, `INSERT INTO crossings
		(slug, name, afghan_side, province, latitude, longitude, time_zone, hours, records_from, sort_order)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	for _, c := range referenceCrossings {
		if _, err := tx.ExecContext(ctx, insertCrossing, c.Slug, c.Name, c.AfghanSide, c.Province,
			c.Latitude, c.Longitude, c.TimeZone, c.Hours, c.RecordsFrom, c.SortOrder); err != nil {
			return fmt.Errorf("seed crossing %s: %w", c.Slug, err)
		}
	}
	insertCategory := placeholders(dialect, `INSERT INTO cargo_categories
		(code, name, usual_direction, loaded, perishable, humanitarian, value_per_truck_usd,
		 shelf_life_days, daily_spoilage_rate, holding_cost_usd_per_day, assumption_source, sort_order)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	for i, c := range referenceCategories {
		var shelfLife any
		if c.ShelfLifeDays > 0 {
			shelfLife = c.ShelfLifeDays
		}
		if _, err := tx.ExecContext(ctx, insertCategory, c.Code, c.Name, c.UsualDirection, c.Loaded,
			c.Perishable, c.Humanitarian, c.ValuePerTruckUSD, shelfLife, c.DailySpoilageRate,
			c.HoldingCostUSD, c.Source, i+1); err != nil {
			return fmt.Errorf("seed cargo category %s: %w", c.Code, err)
		}
	}
	return nil
}

// placeholders rewrites ? into $1, $2, … for PostgreSQL.
func placeholders(dialect, query string) string {
	if dialect != DialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
