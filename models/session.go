package models

import "time"

// Session is a server-side login session: the token is the cookie's value,
// the data the session manager's encoded values.
type Session struct {
	Token  string `gorm:"primaryKey"`
	Data   []byte
	Expiry time.Time
}
