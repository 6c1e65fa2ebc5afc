package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

func scope(s models.Scope) *models.Scope    { return &s }
func reason(r models.Reason) *models.Reason { return &r }

func TestCheckStatusAppliesTheContract(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	torkham := models.Crossing{Slug: "torkham", TimeZone: "Asia/Karachi", RecordsFrom: models.NewDate(2020, 1, 1)}
	cases := []struct {
		name string
		in   models.StatusInput
		want []string
	}{
		{"open, now", models.StatusInput{State: models.StateOpen}, nil},
		{"closed with a reason", models.StatusInput{State: models.StateClosed, Reason: reason(models.ReasonSecurity)}, nil},
		{"restricted with scope and reason", models.StatusInput{State: models.StateRestricted, Scope: scope(models.ScopePedestriansOnly), Reason: reason(models.ReasonProtest)}, nil},
		{"unknown state", models.StatusInput{State: "ajar"}, []string{"state unknown_state"}},
		{"closed without a reason", models.StatusInput{State: models.StateClosed}, []string{"reason reason_required"}},
		{"restricted without scope", models.StatusInput{State: models.StateRestricted, Reason: reason(models.ReasonOther)}, []string{"scope scope_required"}},
		{"closed with a scope", models.StatusInput{State: models.StateClosed, Scope: scope(models.ScopeOther), Reason: reason(models.ReasonOther)}, []string{"scope scope_not_allowed"}},
		{"unknown scope and reason", models.StatusInput{State: models.StateRestricted, Scope: scope("half"), Reason: reason("boredom")}, []string{"scope unknown_scope", "reason unknown_reason"}},
		{"four minutes ahead", models.StatusInput{State: models.StateOpen, EffectiveAt: now.Add(4 * time.Minute)}, nil},
		{"ten minutes ahead", models.StatusInput{State: models.StateOpen, EffectiveAt: now.Add(10 * time.Minute)}, []string{"effective_at effective_in_future"}},
		{"six days back", models.StatusInput{State: models.StateOpen, EffectiveAt: now.AddDate(0, 0, -6)}, nil},
		{"eight days back", models.StatusInput{State: models.StateOpen, EffectiveAt: now.AddDate(0, 0, -8)}, []string{"effective_at backdate_too_far"}},
		{"eight days back by a supervisor", models.StatusInput{State: models.StateOpen, EffectiveAt: now.AddDate(0, 0, -8), AllowOldBackdate: true}, nil},
		{"before the records", models.StatusInput{State: models.StateOpen, EffectiveAt: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), AllowOldBackdate: true}, []string{"effective_at before_records"}},
		{"a NUL in the note", models.StatusInput{State: models.StateOpen, Note: "a\x00b"}, []string{"note invalid_text"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := codes(models.CheckStatus(c.in, torkham, now)); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestRecordStatusChangeStoresAuditsAndKeepsMarkupAsText(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f := newEntryFixture(t, db)
		now := time.Now()
		note := `<script>alert("x")</script> gates shut`
		change, err := models.RecordStatusChange(ctx, db, f.actor, models.StatusInput{CrossingID: f.rules.Crossing.ID,
			State: models.StateClosed, Reason: reason(models.ReasonSecurity), Note: "  " + note + "\n"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if change.ID == 0 || change.Note != note || change.Source != "form" || *change.RecordedBy != f.officer.ID ||
			!change.EffectiveAt.Equal(now.Truncate(time.Microsecond)) {
			t.Errorf("change = %+v", change)
		}
		latest, err := models.LatestStatusChanges(ctx, db, []int64{f.rules.Crossing.ID}, now.Add(time.Second))
		if err != nil || latest[f.rules.Crossing.ID].Note != note || latest[f.rules.Crossing.ID].State != models.StateClosed {
			t.Errorf("in effect: %+v, %v", latest, err)
		}
		var audit models.AuditEntry
		if err := db.Where("entity = ? AND entity_id = ?", "status_change", fmt.Sprint(change.ID)).Take(&audit).Error; err != nil {
			t.Fatal(err)
		}
		var after map[string]any
		_ = json.Unmarshal([]byte(audit.After), &after)
		if audit.Action != "create" || audit.Actor != "gul.khan" || audit.IP != "192.0.2.7" || after["state"] != "closed" ||
			after["reason"] != "security" || after["note"] != note || after["crossing"] != "torkham" {
			t.Errorf("audit = %+v (after %v)", audit, after)
		}
	})
}

func TestRecordStatusChangeRefusesBadInputAndWritesNothing(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f := newEntryFixture(t, db)
		now := time.Now()
		_, err := models.RecordStatusChange(ctx, db, f.actor, models.StatusInput{CrossingID: f.rules.Crossing.ID,
			State: models.StateRestricted, EffectiveAt: now.AddDate(0, 0, -10)}, now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !slices.Equal(codes(ve.Fields), []string{"scope scope_required", "reason reason_required", "effective_at backdate_too_far"}) {
			t.Fatalf("got %v", err)
		}
		var n int64
		db.Model(&models.StatusChange{}).Count(&n)
		if n != 0 {
			t.Errorf("%d status changes stored after a refusal", n)
		}
		if _, err := models.RecordStatusChange(ctx, db, f.actor, models.StatusInput{CrossingID: 999, State: models.StateOpen}, now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown crossing: %v", err)
		}
	})
}

func TestRecordStatusChangeTwiceAtOneInstantOrRepeated(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f := newEntryFixture(t, db)
		now := time.Now()
		at := now.Add(-time.Hour).Truncate(time.Minute)
		closed := models.StatusInput{CrossingID: f.rules.Crossing.ID, State: models.StateClosed, Reason: reason(models.ReasonProtest), EffectiveAt: at}
		first, err := models.RecordStatusChange(ctx, db, f.actor, closed, now)
		if err != nil {
			t.Fatal(err)
		}
		// The same form sent again, or the same status later on: nothing new.
		again, err := models.RecordStatusChange(ctx, db, f.actor, closed, now)
		if err != nil || again.ID != first.ID {
			t.Errorf("resent: %+v, %v", again, err)
		}
		later := closed
		later.EffectiveAt = time.Time{}
		if same, err := models.RecordStatusChange(ctx, db, f.actor, later, now); err != nil || same.ID != first.ID || !same.EffectiveAt.Equal(at) {
			t.Errorf("repeated later: %+v, %v", same, err)
		}
		// A different status at the very same instant is refused with a clear error.
		_, err = models.RecordStatusChange(ctx, db, f.actor, models.StatusInput{CrossingID: f.rules.Crossing.ID, State: models.StateOpen, EffectiveAt: at}, now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !slices.Equal(codes(ve.Fields), []string{"effective_at effective_taken"}) {
			t.Errorf("same instant: %v", err)
		}
		var n, audits int64
		db.Model(&models.StatusChange{}).Count(&n)
		db.Model(&models.AuditEntry{}).Where("entity = ?", "status_change").Count(&audits)
		if n != 1 || audits != 1 {
			t.Errorf("%d changes and %d audits, want 1 each", n, audits)
		}
	})
}
