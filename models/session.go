package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Session is a server-side login session: the token is the cookie's value,
// the data the session manager's encoded values.
type Session struct {
	Token  string `gorm:"primaryKey"`
	Data   []byte
	Expiry time.Time
}

// DeleteExpiredSessions removes the sessions that expired before now.
func DeleteExpiredSessions(ctx context.Context, db *gorm.DB, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("expiry < ?", now.UTC()).Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}
