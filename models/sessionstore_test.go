package models_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// The store is what scs expects, with context and iteration.
var (
	_ scs.CtxStore         = (*models.SessionStore)(nil)
	_ scs.IterableCtxStore = (*models.SessionStore)(nil)
	_ scs.IterableStore    = (*models.SessionStore)(nil)
)

func TestSessionStore(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := models.NewSessionStore(db)
		if _, found, err := s.FindCtx(ctx, "nothing"); found || err != nil {
			t.Errorf("unknown token: found %v, %v", found, err)
		}
		inAnHour := time.Now().Add(time.Hour)
		if err := s.CommitCtx(ctx, "a", []byte("first"), inAnHour); err != nil {
			t.Fatal(err)
		}
		// Committing again replaces the data and expiry (one row, no error).
		if err := s.CommitCtx(ctx, "a", []byte("second"), inAnHour.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		data, found, err := s.FindCtx(ctx, "a")
		if err != nil || !found || !bytes.Equal(data, []byte("second")) {
			t.Errorf("find after two commits: %q %v %v", data, found, err)
		}
		var rows []models.Session
		db.Find(&rows)
		if len(rows) != 1 || rows[0].Expiry.Sub(inAnHour.Add(time.Hour)).Abs() > time.Millisecond {
			t.Errorf("rows = %+v", rows)
		}

		// An expired session is absent, though still in the table.
		if err := s.CommitCtx(ctx, "old", []byte("x"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.FindCtx(ctx, "old"); found {
			t.Error("an expired session was found")
		}
		all, err := s.AllCtx(ctx)
		if err != nil || len(all) != 1 || string(all["a"]) != "second" {
			t.Errorf("all = %v, %v; want only the live session", all, err)
		}

		if err := s.DeleteCtx(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCtx(ctx, "a"); err != nil {
			t.Errorf("deleting an absent session: %v", err)
		}
		if _, found, _ := s.Find("a"); found {
			t.Error("a deleted session was found")
		}
	})
}
