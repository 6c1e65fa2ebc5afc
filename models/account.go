package models

import "time"

// LoginAttempt records one try to sign in; throttling counts the failures.
// A Throttled attempt was refused without its password being checked; it
// counts as a failure, so that guessing on while throttled keeps the
// throttle on.
type LoginAttempt struct {
	ID        int64
	At        time.Time `gorm:"autoCreateTime"`
	Username  string
	IP        string `gorm:"column:ip"`
	Succeeded bool
	Throttled bool
}

// APIToken lets a machine client act as a user through the API. Only the
// SHA-256 of the token is stored; Prefix (its first characters) names it in lists.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	TokenHash  string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// IdempotencyKey keeps the answer to a write sent with an Idempotency-Key,
// so that a retry gets the same answer instead of a second write.
type IdempotencyKey struct {
	TokenID     int64  `gorm:"primaryKey"`
	Key         string `gorm:"primaryKey"`
	RequestHash string
	Status      int
	Body        string
	CreatedAt   time.Time
}
