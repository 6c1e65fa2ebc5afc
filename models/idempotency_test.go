package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// idempotencyToken stores an account and an API token for it, returning the token's ID.
func idempotencyToken(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	newAccount(t, db, "counter", models.RoleOfficer, "torkham")
	_, record, err := models.CreateAPIToken(context.Background(), db, "counter", "", models.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return record.ID
}

// auditWrite is a write that leaves one audit record, so that writes can be counted.
func auditWrite(body string) func(tx *gorm.DB) (int, []byte, error) {
	return func(tx *gorm.DB) (int, []byte, error) {
		if err := models.WriteAudit(tx, models.AuditEntry{Actor: "test", Action: "write", Entity: "idempotency_test"}); err != nil {
			return 0, nil, err
		}
		return 201, []byte(body), nil
	}
}

func countWrites(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	db.Model(&models.AuditEntry{}).Where("entity = ?", "idempotency_test").Count(&n)
	return n
}

func TestRunIdempotentWritesOncePerKey(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx, now := context.Background(), time.Now()
		tokenID := idempotencyToken(t, db)
		req := models.IdempotentRequest{TokenID: tokenID, Key: "k1", Hash: models.RequestHash("POST", "/x", []byte(`{"a":1}`))}
		first, err := models.RunIdempotent(ctx, db, req, now, auditWrite("first"))
		if err != nil || first.Replayed || first.Status != 201 || string(first.Body) != "first" {
			t.Fatalf("first = %+v, %v", first, err)
		}
		again, err := models.RunIdempotent(ctx, db, req, now.Add(time.Hour), auditWrite("second"))
		if err != nil || !again.Replayed || again.Status != 201 || string(again.Body) != "first" {
			t.Errorf("replay = %+v, %v; want the first answer", again, err)
		}
		if n := countWrites(t, db); n != 1 {
			t.Errorf("%d writes, want 1", n)
		}
		other := req
		other.Hash = models.RequestHash("POST", "/x", []byte(`{"a":2}`))
		if _, err := models.RunIdempotent(ctx, db, other, now, auditWrite("third")); !errors.Is(err, models.ErrIdempotencyMismatch) {
			t.Errorf("another body with the key: %v, want ErrIdempotencyMismatch", err)
		}
		// A failed write keeps nothing: the key stays free.
		failing := models.IdempotentRequest{TokenID: tokenID, Key: "k2", Hash: req.Hash}
		refused := errors.New("refused")
		if _, err := models.RunIdempotent(ctx, db, failing, now, func(tx *gorm.DB) (int, []byte, error) {
			_ = models.WriteAudit(tx, models.AuditEntry{Actor: "test", Action: "write", Entity: "idempotency_test"})
			return 0, nil, refused
		}); !errors.Is(err, refused) {
			t.Fatalf("failing write: %v", err)
		}
		if n := countWrites(t, db); n != 1 {
			t.Errorf("a failed write left its record: %d writes", n)
		}
		if a, err := models.RunIdempotent(ctx, db, failing, now, auditWrite("retried")); err != nil || a.Replayed || string(a.Body) != "retried" {
			t.Errorf("retry after a failure = %+v, %v", a, err)
		}
		// After a day the key is free again, and the old answer is cleared away.
		later := now.Add(models.IdempotencyRetention + time.Minute)
		if a, err := models.RunIdempotent(ctx, db, req, later, auditWrite("fresh")); err != nil || a.Replayed || string(a.Body) != "fresh" {
			t.Errorf("an expired key = %+v, %v", a, err)
		}
		if n, err := models.DeleteExpiredIdempotencyKeys(ctx, db, later.Add(models.IdempotencyRetention)); err != nil || n != 2 {
			t.Errorf("deleted %d expired keys (%v), want 2", n, err)
		}
		if _, err := models.RunIdempotent(ctx, db, models.IdempotentRequest{TokenID: tokenID, Hash: "h"}, now, auditWrite("x")); err == nil {
			t.Error("an empty key was taken")
		}
	})
}

func TestRunIdempotentRaceWritesOnce(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx, now := context.Background(), time.Now()
		req := models.IdempotentRequest{TokenID: idempotencyToken(t, db), Key: "race", Hash: "h"}
		const clients = 6
		var wg sync.WaitGroup
		answers := make([]models.IdempotentAnswer, clients)
		errs := make([]error, clients)
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i], errs[i] = models.RunIdempotent(ctx, db, req, now, func(tx *gorm.DB) (int, []byte, error) {
					time.Sleep(20 * time.Millisecond) // widen the window
					return auditWrite("once")(tx)
				})
			}()
		}
		wg.Wait()
		replayed := 0
		for i := range clients {
			if errs[i] != nil || string(answers[i].Body) != "once" {
				t.Errorf("client %d: %+v, %v", i, answers[i], errs[i])
			}
			if answers[i].Replayed {
				replayed++
			}
		}
		if n := countWrites(t, db); n != 1 || replayed != clients-1 {
			t.Errorf("%d writes and %d replays, want 1 and %d", n, replayed, clients-1)
		}
	})
}
