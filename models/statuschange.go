package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// States, Scopes and Reasons list the codes of the contract in the order
// forms offer them.
var (
	States  = []State{StateOpen, StateClosed, StateRestricted}
	Scopes  = []Scope{ScopeCargoClosed, ScopePedestriansOnly, ScopeHumanitarianOnly, ScopeReducedHours, ScopeOther}
	Reasons = []Reason{ReasonSecurity, ReasonPolitical, ReasonProtest, ReasonDocumentation, ReasonMaintenance,
		ReasonWeather, ReasonHoliday, ReasonOther}
)

// How far a status change's effective time may stray from now: a few
// minutes ahead (clocks differ), and back up to a week — further only for
// supervisors and administrators, who correct the record.
const (
	MaxStatusAhead    = 5 * time.Minute
	MaxStatusBackdate = 7 * 24 * time.Hour
)

// StatusInput is a status change as a form, the API or an import gives it.
type StatusInput struct {
	CrossingID int64
	State      State
	Scope      *Scope  // required for restricted, refused otherwise
	Reason     *Reason // required for closed and restricted
	Note       string
	// EffectiveAt is when the change took effect; zero means now.
	EffectiveAt time.Time
	// AllowOldBackdate lifts the one-week limit on back-dating; only for a
	// supervisor or administrator, which the caller checks.
	AllowOldBackdate bool
	// Source says where the change comes from: form (the default), api or import.
	Source string
}

// statusValues is what the audit log records of a status change.
type statusValues struct {
	Crossing    string    `json:"crossing"`
	State       State     `json:"state"`
	Scope       *Scope    `json:"scope"`
	Reason      *Reason   `json:"reason"`
	Note        string    `json:"note"`
	EffectiveAt time.Time `json:"effective_at"`
	Source      string    `json:"source"`
}

// CheckStatus checks a status change against the rules of the contract as
// of now, returning every broken rule. The fields are state, scope,
// reason, note and effective_at.
func CheckStatus(in StatusInput, c Crossing, now time.Time) []FieldError {
	var errs []FieldError
	add := func(field, code string, params map[string]any) {
		errs = append(errs, FieldError{Field: field, Code: code, Params: params})
	}
	if !slices.Contains(States, in.State) {
		add("state", "unknown_state", map[string]any{"Value": string(in.State)})
	}
	switch {
	case in.Scope != nil && !slices.Contains(Scopes, *in.Scope):
		add("scope", "unknown_scope", map[string]any{"Value": string(*in.Scope)})
	case in.State == StateRestricted && in.Scope == nil:
		add("scope", "scope_required", nil)
	case in.State != StateRestricted && in.Scope != nil:
		add("scope", "scope_not_allowed", nil)
	}
	switch {
	case in.Reason != nil && !slices.Contains(Reasons, *in.Reason):
		add("reason", "unknown_reason", map[string]any{"Value": string(*in.Reason)})
	case (in.State == StateClosed || in.State == StateRestricted) && in.Reason == nil:
		add("reason", "reason_required", nil)
	}
	if fe := checkText("note", in.Note); fe != nil {
		errs = append(errs, *fe)
	}
	at := in.EffectiveAt
	if at.IsZero() {
		at = now
	}
	switch {
	case at.After(now.Add(MaxStatusAhead)):
		add("effective_at", "effective_in_future", map[string]any{"Minutes": int(MaxStatusAhead / time.Minute)})
	case at.Before(c.RecordsFrom.Start(c.Location())):
		add("effective_at", "before_records", map[string]any{"RecordsFrom": c.RecordsFrom.String()})
	case at.Before(now.Add(-MaxStatusBackdate)) && !in.AllowOldBackdate:
		add("effective_at", "backdate_too_far", map[string]any{"Days": int(MaxStatusBackdate / (24 * time.Hour))})
	}
	return errs
}

// RecordStatusChange validates and stores a status change with its audit
// record. Every broken rule comes back at once as a *ValidationError; a
// second change at the same instant is refused as "effective_taken". A
// change that repeats the status already in effect at its time (the same
// state, scope, reason and note) adds nothing, and would move the "since"
// of the status: the change in effect is returned instead and nothing is
// written, which also makes a double submission harmless.
func RecordStatusChange(ctx context.Context, db *gorm.DB, actor Actor, in StatusInput, now time.Time) (StatusChange, error) {
	var c Crossing
	if err := db.WithContext(ctx).Where("id = ?", in.CrossingID).Take(&c).Error; err != nil {
		return StatusChange{}, notFoundOr(err, "crossing %d", in.CrossingID)
	}
	in.Note = strings.TrimSpace(in.Note)
	if ve := newValidationError(CheckStatus(in, c, now)); ve != nil {
		return StatusChange{}, ve
	}
	if in.Source == "" {
		in.Source = "form"
	}
	// PostgreSQL keeps microseconds: store what it would keep, so that the
	// same instant compares equal on both databases.
	at := in.EffectiveAt
	if at.IsZero() {
		at = now
	}
	change := StatusChange{CrossingID: c.ID, State: in.State, Scope: in.Scope, Reason: in.Reason, Note: in.Note,
		EffectiveAt: at.UTC().Truncate(time.Microsecond), RecordedAt: now.UTC().Truncate(time.Microsecond),
		RecordedBy: actor.UserID, Source: in.Source}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// One change at a time per crossing, so that two submissions of
		// the same change cannot both see the old status.
		if err := lockCrossing(tx, c.ID); err != nil {
			return err
		}
		var inEffect []StatusChange
		err := tx.Where("crossing_id = ? AND effective_at <= ?", c.ID, change.EffectiveAt).
			Order("effective_at DESC").Limit(1).Find(&inEffect).Error
		if err != nil {
			return fmt.Errorf("read the status in effect: %w", err)
		}
		if len(inEffect) == 1 && sameStatus(inEffect[0], change) {
			change = inEffect[0]
			return nil
		}
		if len(inEffect) == 1 && inEffect[0].EffectiveAt.Equal(change.EffectiveAt) {
			return effectiveTaken(c, inEffect[0])
		}
		if err := tx.Create(&change).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return effectiveTaken(c, change)
			}
			return fmt.Errorf("store the status change: %w", err)
		}
		return actor.audit(tx, "create", "status_change", fmt.Sprint(change.ID), nil, statusValues{
			Crossing: c.Slug, State: change.State, Scope: change.Scope, Reason: change.Reason, Note: change.Note,
			EffectiveAt: change.EffectiveAt, Source: change.Source})
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return StatusChange{}, err
		}
		return StatusChange{}, fmt.Errorf("record the status of %s: %w", c.Slug, err)
	}
	return change, nil
}

// effectiveTaken refuses a second change at an instant that has one: the
// unique key of (crossing, effective_at) allows one status per instant.
func effectiveTaken(c Crossing, existing StatusChange) error {
	return &ValidationError{Fields: []FieldError{{Field: "effective_at", Code: "effective_taken",
		Params: map[string]any{"Time": existing.EffectiveAt.In(c.Location()).Format("2006-01-02 15:04")}}}}
}

// sameStatus reports whether two changes set the same status.
func sameStatus(a, b StatusChange) bool {
	return a.State == b.State && a.ScopeCode() == b.ScopeCode() && a.ReasonCode() == b.ReasonCode() && a.Note == b.Note
}
