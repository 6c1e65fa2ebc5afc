package models_test

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"borderflow/models"
	"borderflow/models/testdb"
)

// allModels lists every GORM model with the table it maps to.
var allModels = []any{
	&models.Crossing{}, &models.CargoCategory{}, &models.User{}, &models.UserCrossing{},
	&models.StatusChange{}, &models.DailyFigure{}, &models.AuditEntry{}, &models.JobRun{},
	&models.Session{}, &models.LoginAttempt{}, &models.APIToken{}, &models.IdempotencyKey{}, &models.CrossingDay{}, &models.PlausibilityLimit{},
	&models.StaleMark{},
	&models.WeeklySummaryRecord{}, &models.WeeklySummaryFile{},
}

// TestModelsMatchMigratedSchema proves that every field of every model has a
// column in the migrated schema, and every column a field, on both databases:
// a migration and a model can never drift apart unnoticed.
func TestModelsMatchMigratedSchema(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		for _, model := range allModels {
			stmt := &gorm.Statement{DB: db}
			if err := stmt.Parse(model); err != nil {
				t.Fatalf("parse %T: %v", model, err)
			}
			table := stmt.Schema.Table
			columns, err := db.Migrator().ColumnTypes(model)
			if err != nil {
				t.Fatalf("columns of %s: %v", table, err)
			}
			if len(columns) == 0 {
				t.Errorf("table %s for %T does not exist in the migrated schema", table, model)
				continue
			}
			inSchema := map[string]gorm.ColumnType{}
			for _, c := range columns {
				inSchema[c.Name()] = c
			}
			inModel := map[string]*schema.Field{}
			for _, f := range stmt.Schema.Fields {
				if f.DBName != "" {
					inModel[f.DBName] = f
				}
			}
			for name, field := range inModel {
				col, ok := inSchema[name]
				if !ok {
					t.Errorf("%T.%s has no column %s.%s", model, field.Name, table, name)
					continue
				}
				// A pointer field is how the model says "may be NULL".
				nullable, known := col.Nullable()
				if known && !field.PrimaryKey && nullable != isPointer(field) {
					t.Errorf("%s.%s: column nullable=%v but field %T.%s is pointer=%v", table, name, nullable, model, field.Name, isPointer(field))
				}
			}
			var extra []string
			for name := range inSchema {
				if _, ok := inModel[name]; !ok {
					extra = append(extra, name)
				}
			}
			sort.Strings(extra)
			if len(extra) > 0 {
				t.Errorf("table %s has columns without a field in %T: %v", table, model, extra)
			}
		}
	})
}

func isPointer(f *schema.Field) bool {
	return f.FieldType.Kind() == reflect.Pointer
}

// TestMigrationsSeedReferenceData checks the seeded crossings and categories
// that the demo data, the board and the loss model rely on.
func TestMigrationsSeedReferenceData(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		crossings, err := models.ActiveCrossings(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(crossings) != 2 || crossings[0].Slug != "torkham" || crossings[1].Slug != "chaman" {
			t.Fatalf("seeded crossings = %+v, want torkham then chaman", crossings)
		}
		if crossings[0].Latitude != 34.10 || crossings[0].Longitude != 71.09 || crossings[0].TimeZone != "Asia/Karachi" {
			t.Errorf("torkham position/zone = %v %v %s", crossings[0].Latitude, crossings[0].Longitude, crossings[0].TimeZone)
		}
		categories, err := models.CargoCategories(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(categories) != 14 {
			t.Fatalf("got %d categories, want the 14 of DOMAIN.md", len(categories))
		}
		byCode := map[string]models.CargoCategory{}
		for _, c := range categories {
			byCode[c.Code] = c
		}
		fresh := byCode["fresh_produce"]
		if !fresh.Perishable || fresh.ShelfLifeDays == nil || *fresh.ShelfLifeDays != 10 || fresh.DailySpoilageRate != 0.08 {
			t.Errorf("fresh_produce assumptions = %+v", fresh)
		}
		if empty := byCode["empty"]; empty.Loaded || empty.ValuePerTruckUSD != 0 {
			t.Errorf("empty trucks must be unloaded and worth nothing: %+v", empty)
		}
		for _, code := range []string{"food_staples", "medicine", "aid"} {
			if !byCode[code].Humanitarian {
				t.Errorf("%s should be humanitarian", code)
			}
		}
		state, err := models.SchemaState(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if !state.UpToDate() || state.Latest < 2 {
			t.Errorf("schema state after migrate = %+v", state)
		}
	})
}
