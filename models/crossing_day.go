package models

import "time"

// CrossingDay is one crossing's figures for one local day taken as a whole:
// the version that a save must be based on (so that two people editing the
// same day cannot silently overwrite each other), and whether a supervisor
// has verified the day. A day without a row has no figures yet.
type CrossingDay struct {
	CrossingID int64 `gorm:"primaryKey"`
	Day        Date  `gorm:"primaryKey"`
	Version    int
	VerifiedAt *time.Time
	VerifiedBy *int64
	UpdatedAt  time.Time
	UpdatedBy  *int64
}

// Verified reports whether a supervisor (or an import of verified
// figures) has confirmed the day.
func (d CrossingDay) Verified() bool { return d.VerifiedAt != nil }

// PlausibilityLimit is the most loaded trucks a day in one direction that a
// crossing is believed to handle; a larger count needs a supervisor's
// confirmation.
type PlausibilityLimit struct {
	CrossingID int64     `gorm:"primaryKey"`
	Direction  Direction `gorm:"primaryKey"`
	MaxTrucks  int
	UpdatedAt  time.Time
}
