package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

func TestPublicCrossingBySlugHidesUnknownAndInactiveCrossings(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		c, err := models.PublicCrossingBySlug(ctx, db, "torkham")
		if err != nil || c.Name != "Torkham" {
			t.Fatalf("torkham = %+v, %v", c, err)
		}
		if err := db.Model(&models.Crossing{}).Where("slug = ?", "chaman").Update("active", false).Error; err != nil {
			t.Fatal(err)
		}
		for _, slug := range []string{"chaman", "no-such-crossing", "x\x00y", "\xff", "", "Torkham", "torkham;"} {
			if _, err := models.PublicCrossingBySlug(ctx, db, slug); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("PublicCrossingBySlug(%q) error = %v, want ErrNotFound", slug, err)
			}
		}
	})
}

func TestRecentStatusChangesNewestFirstAndNothingFromTheFuture(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		torkham, _ := models.CrossingBySlug(ctx, db, "torkham")
		chaman, _ := models.CrossingBySlug(ctx, db, "chaman")
		now := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
		security, protest := models.ReasonSecurity, models.ReasonProtest
		changes := []models.StatusChange{
			{CrossingID: torkham.ID, State: models.StateOpen, EffectiveAt: now.Add(-72 * time.Hour), Source: "seed"},
			{CrossingID: chaman.ID, State: models.StateOpen, EffectiveAt: now.Add(-48 * time.Hour), Source: "seed"},
			{CrossingID: torkham.ID, State: models.StateClosed, Reason: &security, EffectiveAt: now.Add(-24 * time.Hour), Source: "form"},
			// In effect exactly now: included.
			{CrossingID: chaman.ID, State: models.StateClosed, Reason: &protest, EffectiveAt: now, Source: "form"},
			// Announced for tomorrow: not yet.
			{CrossingID: torkham.ID, State: models.StateOpen, EffectiveAt: now.Add(24 * time.Hour), Source: "form"},
		}
		if err := db.Create(&changes).Error; err != nil {
			t.Fatal(err)
		}
		got, err := models.RecentStatusChanges(ctx, db, []int64{torkham.ID, chaman.ID}, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{changes[3].ID, changes[2].ID, changes[1].ID, changes[0].ID}
		if ids := changeIDs(got); !slices.Equal(ids, want) {
			t.Errorf("both crossings = %v, want %v (newest first, none in the future)", ids, want)
		}
		got, err = models.RecentStatusChanges(ctx, db, []int64{torkham.ID}, now, 1)
		if err != nil {
			t.Fatal(err)
		}
		if ids := changeIDs(got); !slices.Equal(ids, []int64{changes[2].ID}) {
			t.Errorf("torkham, limit 1 = %v, want only its closure %d", ids, changes[2].ID)
		}
		if !got[0].EffectiveAt.Equal(now.Add(-24*time.Hour)) || got[0].ReasonCode() != "security" {
			t.Errorf("torkham's latest change read back as %+v", got[0])
		}
	})
}

func changeIDs(changes []models.StatusChange) []int64 {
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.ID
	}
	return ids
}
