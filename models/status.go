package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// State is whether a crossing lets traffic through.
type State string

// The states of a crossing.
const (
	StateOpen       State = "open"
	StateClosed     State = "closed"
	StateRestricted State = "restricted"
)

// Scope says what a restriction still lets through.
type Scope string

// The scopes of a restriction.
const (
	ScopeCargoClosed      Scope = "cargo_closed"
	ScopePedestriansOnly  Scope = "pedestrians_only"
	ScopeHumanitarianOnly Scope = "humanitarian_only"
	ScopeReducedHours     Scope = "reduced_hours"
	ScopeOther            Scope = "other"
)

// Reason is why a crossing closed or was restricted.
type Reason string

// The reasons for a closure or restriction.
const (
	ReasonSecurity      Reason = "security"
	ReasonPolitical     Reason = "political"
	ReasonProtest       Reason = "protest"
	ReasonDocumentation Reason = "documentation"
	ReasonMaintenance   Reason = "maintenance"
	ReasonWeather       Reason = "weather"
	ReasonHoliday       Reason = "holiday"
	ReasonOther         Reason = "other"
)

// StatusChange records that a crossing opened, closed or was restricted at
// an instant. The status at any time is the latest change before it.
type StatusChange struct {
	ID          int64
	CrossingID  int64
	State       State
	Scope       *Scope
	Reason      *Reason
	Note        string
	EffectiveAt time.Time
	RecordedAt  time.Time `gorm:"autoCreateTime"`
	RecordedBy  *int64
	Source      string
}

// CurrentStatus is a crossing's status now, with the change that set it.
type CurrentStatus struct {
	Crossing Crossing
	Change   *StatusChange // nil when nothing was ever recorded
}

// LatestStatusChanges returns, for each of the crossings, the last change in
// effect at the instant now (those without any are missing from the map).
func LatestStatusChanges(ctx context.Context, db *gorm.DB, crossingIDs []int64, now time.Time) (map[int64]StatusChange, error) {
	latest := make(map[int64]StatusChange, len(crossingIDs))
	if len(crossingIDs) == 0 {
		return latest, nil
	}
	// One indexed probe per crossing (a handful): the newest change at or
	// before now, read from the (crossing_id, effective_at) index.
	for _, id := range crossingIDs {
		var found []StatusChange
		err := db.WithContext(ctx).Where("crossing_id = ? AND effective_at <= ?", id, now.UTC()).
			Order("effective_at DESC").Limit(1).Find(&found).Error
		if err != nil {
			return nil, fmt.Errorf("read current statuses: %w", err)
		}
		if len(found) == 1 {
			latest[id] = found[0]
		}
	}
	return latest, nil
}

// ScopeCode is the restriction's scope, or "" when there is none.
func (s StatusChange) ScopeCode() string {
	if s.Scope == nil {
		return ""
	}
	return string(*s.Scope)
}

// ReasonCode is the reason for a closure or restriction, or "" when there is none.
func (s StatusChange) ReasonCode() string {
	if s.Reason == nil {
		return ""
	}
	return string(*s.Reason)
}
