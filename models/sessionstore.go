package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SessionStore keeps login sessions in the sessions table, so that every
// replica sees them and a session can be ended on the server. It is an
// scs.Store (with the context-taking and iterating variants); a row past its
// expiry counts as absent until the cleanup job deletes it.
type SessionStore struct {
	db *gorm.DB
}

// NewSessionStore returns a store on db. The session manager decides
// expiry times on the wall clock, so the store compares against it too.
func NewSessionStore(db *gorm.DB) *SessionStore {
	return &SessionStore{db: db}
}

// FindCtx returns the data of a live session; found is false for an
// unknown or expired token.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var row Session
	err := s.db.WithContext(ctx).Where("token = ? AND expiry > ?", token, time.Now().UTC()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return row.Data, true, nil
}

// CommitCtx stores a session's data and expiry, replacing any earlier
// version of the same session in one statement.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "token"}},
		DoUpdates: clause.AssignmentColumns([]string{"data", "expiry"}),
	}).Create(&Session{Token: token, Data: data, Expiry: expiry.UTC()}).Error
	if err != nil {
		return fmt.Errorf("store session: %w", err)
	}
	return nil
}

// DeleteCtx removes a session; an unknown token is not an error.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	if err := s.db.WithContext(ctx).Where("token = ?", token).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// AllCtx returns every live session's data by token.
func (s *SessionStore) AllCtx(ctx context.Context) (map[string][]byte, error) {
	var rows []Session
	if err := s.db.WithContext(ctx).Where("expiry > ?", time.Now().UTC()).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	all := make(map[string][]byte, len(rows))
	for _, r := range rows {
		all[r.Token] = r.Data
	}
	return all, nil
}

// Find is FindCtx without a request's context.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a request's context.
func (s *SessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

// Delete is DeleteCtx without a request's context.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// All is AllCtx without a request's context.
func (s *SessionStore) All() (map[string][]byte, error) {
	return s.AllCtx(context.Background())
}
