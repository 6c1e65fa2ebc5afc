package models_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

func TestVerifyDayChecksTheVersionAndAudits(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f := newEntryFixture(t, db)
		supervisor := newAccount(t, db, "amina", models.RoleSupervisor, "torkham")
		actor := models.Actor{UserID: &supervisor.ID, Name: "amina", IP: "192.0.2.8", RequestID: "req-9"}
		id := f.rules.Crossing.ID
		if _, err := models.VerifyDay(ctx, db, actor, id, f.day, 0); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a day without figures: %v", err)
		}
		if _, err := f.save(t, f.actor, models.DayInput{Figures: grid(), ReplaceDay: true}); err != nil {
			t.Fatal(err)
		}
		changed := grid()
		changed[1].Trucks = 14
		if _, err := f.save(t, f.actor, models.DayInput{BaseVersion: 1, Figures: changed, ReplaceDay: true}); err != nil {
			t.Fatal(err)
		}
		// The supervisor looked at version 1; the officer has saved version 2 since.
		_, err := models.VerifyDay(ctx, db, actor, id, f.day, 1)
		var vc *models.VersionConflict
		if !errors.As(err, &vc) || vc.Current.Version != 2 || vc.By != "gul.khan" || vc.Figures[1].Trucks != 14 {
			t.Fatalf("verifying an old version: %v", err)
		}
		if d, _, _ := models.DayFigures(ctx, db, id, f.day); d.Verified() {
			t.Error("an old version was verified")
		}
		day, err := models.VerifyDay(ctx, db, actor, id, f.day, 2)
		if err != nil || !day.Verified() || *day.VerifiedBy != supervisor.ID || day.Version != 2 {
			t.Fatalf("verify: %+v, %v", day, err)
		}
		stored, rows, _ := models.DayFigures(ctx, db, id, f.day)
		if !stored.Verified() || !rows[0].Verified {
			t.Errorf("stored %+v, rows verified %v", stored, rows[0].Verified)
		}
		if again, err := models.VerifyDay(ctx, db, actor, id, f.day, 2); err != nil || !again.Verified() {
			t.Errorf("verifying twice: %+v, %v", again, err)
		}
		audits := f.audits(t)
		verifies := 0
		for _, a := range audits {
			if a.Action == "verify" {
				verifies++
				if a.Actor != "amina" || a.IP != "192.0.2.8" || a.RequestID != "req-9" ||
					decodeDay(t, a.Before).Verified || !decodeDay(t, a.After).Verified {
					t.Errorf("verify audit = %+v", a)
				}
			}
		}
		if verifies != 1 {
			t.Errorf("%d verify audit records, want 1", verifies)
		}
	})
}
