package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DayInput is one save of a crossing-day's figures, from the entry form,
// the API or an import.
type DayInput struct {
	CrossingID int64
	Day        Date
	// BaseVersion is the version of the day the form was loaded at; 0 means
	// the day had no figures then. A save based on another version than the
	// stored one is refused with a *VersionConflict.
	BaseVersion int
	// AnyVersion skips the version check, for machine clients (the API)
	// that send a day's figures without having read it first.
	AnyVersion bool
	Figures    []FigureInput
	// ReplaceDay says the figures are the whole day (the form's grid): any
	// stored figure not among them is deleted. Without it (the API) only
	// the figures given are replaced.
	ReplaceDay bool
	// ConfirmImplausible accepts loaded trucks above the crossing's
	// plausibility limit. Only a supervisor or an administrator may
	// confirm: the caller checks the role before setting it.
	ConfirmImplausible bool
	// EditReason is required to change a verified day.
	EditReason string
	// Source says where the figures come from: form (the default), api or import.
	Source string
}

// VersionConflict is returned when a day's figures changed since the
// version a save was based on: it carries what is stored now and who saved
// it, so that the person can compare and decide. Nothing was written.
type VersionConflict struct {
	Base    int // the version the refused save was based on
	Current CrossingDay
	Figures []FigureRow
	By      string // user name of whoever saved the current version, "" if unknown
}

// Error says which versions collided.
func (e *VersionConflict) Error() string {
	by := e.By
	if by == "" {
		by = "someone else"
	}
	return fmt.Sprintf("the figures of %s changed since version %d: version %d was saved by %s at %s",
		e.Current.Day, e.Base, e.Current.Version, by, e.Current.UpdatedAt.UTC().Format(time.RFC3339))
}

// errDayCreatedMeanwhile is a first save of a day that lost the race to
// create the day's row; SaveDay tries again, and then sees the other save.
var errDayCreatedMeanwhile = errors.New("the day was created meanwhile")

// DayValues is what the audit log records of a crossing-day: its version,
// whether it was verified, and every figure.
type DayValues struct {
	Version            int            `json:"version"`
	Verified           bool           `json:"verified"`
	ConfirmedOverLimit bool           `json:"confirmed_over_limit,omitempty"`
	Figures            []FigureValues `json:"figures"`
}

// FigureValues is one figure as the audit log records it.
type FigureValues struct {
	Direction Direction `json:"direction"`
	Category  string    `json:"category"`
	Regime    Regime    `json:"regime"`
	Trucks    int       `json:"trucks"`
	Tonnes    *float64  `json:"tonnes,omitempty"`
	ValueUSD  *float64  `json:"value_usd,omitempty"`
}

// CrossingDayEntityID names a crossing-day in the audit log: "slug/YYYY-MM-DD".
func CrossingDayEntityID(c Crossing, day Date) string { return c.Slug + "/" + day.String() }

// SaveDay validates a day's figures and stores them in one transaction.
// Every rule is checked first and all refusals come back together as a
// *ValidationError. Then, holding the day (its row locked on PostgreSQL; a
// SQLite write transaction holds the database), the stored version must be
// in.BaseVersion, else a *VersionConflict — unless what is stored already
// equals what this save would store, which is then a success that writes
// nothing, so that a double-click or a resend after a dropped connection
// is harmless. A change to a verified day needs in.EditReason and makes the
// day provisional again. The figures are upserted on their unique key, the
// day's version goes up, and one audit record holds the day before and after.
func SaveDay(ctx context.Context, db *gorm.DB, actor Actor, rules FigureRules, in DayInput) (CrossingDay, error) {
	if in.CrossingID != rules.Crossing.ID {
		return CrossingDay{}, fmt.Errorf("save figures: the rules are for crossing %d, the input for %d", rules.Crossing.ID, in.CrossingID)
	}
	if in.Source == "" {
		in.Source = "form"
	}
	figures, errs := rules.checkDayInput(in)
	if ve := newValidationError(errs); ve != nil {
		return CrossingDay{}, ve
	}
	in.Figures = figures
	day, err := saveDayOnce(ctx, db, actor, rules, in)
	if errors.Is(err, errDayCreatedMeanwhile) {
		day, err = saveDayOnce(ctx, db, actor, rules, in)
	}
	if err != nil {
		var ve *ValidationError
		var vc *VersionConflict
		if errors.As(err, &ve) || errors.As(err, &vc) {
			return CrossingDay{}, err
		}
		return CrossingDay{}, fmt.Errorf("save figures of %s: %w", CrossingDayEntityID(rules.Crossing, in.Day), err)
	}
	return day, nil
}

// CheckDayInput returns every rule a save would break before it reads the
// stored day, with the warnings: a form that also has errors of its own
// (text that is not a number) shows them all together.
func (r FigureRules) CheckDayInput(in DayInput) []FieldError {
	_, errs := r.checkDayInput(in)
	return errs
}

// checkDayInput checks the day, the edit reason and every figure, and, for
// a whole day, that it has figures and stays under the plausibility limit
// unless confirmed. It returns the figures normalised (regime set,
// decimals rounded to what the columns keep) with every error and warning.
func (r FigureRules) checkDayInput(in DayInput) ([]FigureInput, []FieldError) {
	var errs []FieldError
	if fe := r.CheckDay(in.Day); fe != nil {
		errs = append(errs, *fe)
	}
	if fe := checkText("edit_reason", in.EditReason); fe != nil {
		errs = append(errs, *fe)
	}
	figures := make([]FigureInput, 0, len(in.Figures))
	var sound []FigureInput // the figures without a refusal of their own, for the totals
	seen := make(map[figureKey]bool, len(in.Figures))
	for i, f := range in.Figures {
		if f.Field == "" {
			f.Field = fmt.Sprintf("figures[%d]", i)
		}
		f.Regime = f.regime()
		own := r.CheckFigure(f.Field, f)
		if seen[f.key()] {
			own = append(own, FieldError{Field: f.Field, Code: "duplicate",
				Params: map[string]any{"Direction": string(f.Direction), "Category": f.Category, "Regime": string(f.Regime)}})
		}
		seen[f.key()] = true
		errs = append(errs, own...)
		f.Tonnes, f.ValueUSD = roundedCopy(f.Tonnes, TonnesDecimals), roundedCopy(f.ValueUSD, ValueDecimals)
		figures = append(figures, f)
		if refusals, _ := SplitWarnings(own); len(refusals) == 0 {
			sound = append(sound, f)
		}
	}
	if in.ReplaceDay && len(figures) == 0 {
		errs = append(errs, FieldError{Field: "figures", Code: "no_figures"})
	}
	if in.ReplaceDay && !in.ConfirmImplausible {
		errs = append(errs, r.OverLimit(r.LoadedTotals(sound))...)
	}
	return figures, errs
}

func roundedCopy(v *float64, decimals int) *float64 {
	if v == nil {
		return nil
	}
	r := roundTo(*v, decimals)
	return &r
}

// saveDayOnce is SaveDay's transaction; in holds validated figures.
func saveDayOnce(ctx context.Context, db *gorm.DB, actor Actor, rules FigureRules, in DayInput) (CrossingDay, error) {
	var saved CrossingDay
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		current, found, err := lockCrossingDay(tx, in.CrossingID, in.Day)
		if err != nil {
			return err
		}
		stored, err := dayFigures(tx, in.CrossingID, in.Day)
		if err != nil {
			return err
		}
		byID := categoriesByID(rules.Categories)
		before := figureInputs(stored, byID)
		after := mergeFigures(before, in.Figures, in.ReplaceDay)
		unchanged := found && sameFigures(before, after)
		if !in.AnyVersion && current.Version != in.BaseVersion {
			if unchanged {
				saved = current // this very save, sent again: already done
				return nil
			}
			return versionConflict(tx, in.BaseVersion, current, stored, byID)
		}
		if unchanged {
			saved = current
			return nil
		}
		var errs []FieldError
		if current.Verified() && strings.TrimSpace(in.EditReason) == "" {
			errs = append(errs, FieldError{Field: "edit_reason", Code: "reason_required"})
		}
		beforeList, afterList := sortedFigures(before, rules.Categories), sortedFigures(after, rules.Categories)
		overLimit := rules.OverLimit(rules.LoadedTotals(afterList))
		if !in.ReplaceDay && !in.ConfirmImplausible {
			errs = append(errs, overLimit...)
		}
		if ve := newValidationError(errs); ve != nil {
			return ve
		}

		now := time.Now().UTC().Truncate(time.Microsecond)
		saved = CrossingDay{CrossingID: in.CrossingID, Day: in.Day, Version: current.Version + 1, UpdatedAt: now, UpdatedBy: actor.UserID}
		if err := writeCrossingDay(tx, found, current, saved); err != nil {
			return err
		}
		if err := writeFigures(tx, in, before, afterList, stored, rules.Categories, byID, actor, now); err != nil {
			return err
		}
		action, beforeValues := "create", any(nil)
		if found || len(stored) > 0 {
			action, beforeValues = "update", dayValues(current, beforeList, false)
		}
		afterValues := dayValues(saved, afterList, in.ConfirmImplausible && len(overLimit) > 0)
		e, err := actor.auditEntry(action, "crossing_day", CrossingDayEntityID(rules.Crossing, in.Day), beforeValues, afterValues)
		if err != nil {
			return err
		}
		e.Detail = strings.TrimSpace(in.EditReason)
		return WriteAudit(tx, e)
	})
	if err != nil {
		return CrossingDay{}, err
	}
	return saved, nil
}

// lockCrossing makes tx the only writer of the crossing's figures and
// statuses until it ends, so that two saves of one day, or two submissions
// of one status change, run one after the other and the second sees the
// first. On PostgreSQL it locks the crossing's row (NO KEY UPDATE, so that
// rows referring to the crossing can still be inserted meanwhile). On
// SQLite it writes first, which takes the database's write lock at once,
// waiting out the busy timeout: a transaction that read first and wrote
// later would fail at once with SQLITE_BUSY when another writer got in
// between. (The DSN's _txlock=immediate would do this for every
// transaction, but glebarez/go-sqlite v1.21 ignores _txlock when
// _time_format is also given.)
func lockCrossing(tx *gorm.DB, crossingID int64) error {
	var err error
	if Dialect(tx) == DialectPostgres {
		err = tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Model(&Crossing{}).Select("id").
			Where("id = ?", crossingID).Take(&Crossing{}).Error
	} else {
		err = tx.Exec("UPDATE crossings SET sort_order = sort_order WHERE id = ?", crossingID).Error
	}
	if err != nil {
		return notFoundOr(err, "crossing %d", crossingID)
	}
	return nil
}

// lockCrossingDay locks the crossing and reads a crossing-day's row (also
// locked, on PostgreSQL); found is false when the day has no row yet.
func lockCrossingDay(tx *gorm.DB, crossingID int64, day Date) (CrossingDay, bool, error) {
	if err := lockCrossing(tx, crossingID); err != nil {
		return CrossingDay{}, false, err
	}
	var d CrossingDay
	err := forUpdate(tx).Where("crossing_id = ? AND day = ?", crossingID, day).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return CrossingDay{CrossingID: crossingID, Day: day}, false, nil
	}
	if err != nil {
		return CrossingDay{}, false, fmt.Errorf("read the version of %s: %w", day, err)
	}
	return d, true, nil
}

// dayFigures reads the stored figures of one crossing-day.
func dayFigures(tx *gorm.DB, crossingID int64, day Date) ([]DailyFigure, error) {
	var rows []DailyFigure
	if err := tx.Where("crossing_id = ? AND day = ?", crossingID, day).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the figures of %s: %w", day, err)
	}
	return rows, nil
}

func categoriesByID(byCode map[string]CargoCategory) map[int64]CargoCategory {
	byID := make(map[int64]CargoCategory, len(byCode))
	for _, c := range byCode {
		byID[c.ID] = c
	}
	return byID
}

// figureInputs turns stored figures into inputs by key, for comparing with
// what a save would store.
func figureInputs(rows []DailyFigure, cats map[int64]CargoCategory) map[figureKey]FigureInput {
	m := make(map[figureKey]FigureInput, len(rows))
	for _, r := range rows {
		f := FigureInput{Direction: r.Direction, Category: cats[r.CategoryID].Code, Regime: r.Regime, Trucks: r.Trucks,
			Tonnes: roundedCopy(r.Tonnes, TonnesDecimals), ValueUSD: roundedCopy(r.ValueUSD, ValueDecimals)}
		m[f.key()] = f
	}
	return m
}

// mergeFigures is the day as a save leaves it: the input alone when it
// replaces the day, else the stored figures with the input's replacing theirs.
func mergeFigures(stored map[figureKey]FigureInput, input []FigureInput, replaceDay bool) map[figureKey]FigureInput {
	merged := make(map[figureKey]FigureInput, len(stored)+len(input))
	if !replaceDay {
		for k, f := range stored {
			merged[k] = f
		}
	}
	for _, f := range input {
		f.Field = ""
		merged[f.key()] = f
	}
	return merged
}

func sameFigures(a, b map[figureKey]FigureInput) bool {
	if len(a) != len(b) {
		return false
	}
	for k, f := range a {
		g, ok := b[k]
		if !ok || !sameFigure(f, g) {
			return false
		}
	}
	return true
}

func sameFigure(f, g FigureInput) bool {
	return f.Trucks == g.Trucks && sameNumber(f.Tonnes, g.Tonnes) && sameNumber(f.ValueUSD, g.ValueUSD)
}

func sameNumber(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// sortedFigures orders a day's figures by direction, category order and regime.
func sortedFigures(m map[figureKey]FigureInput, cats map[string]CargoCategory) []FigureInput {
	out := make([]FigureInput, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Direction != b.Direction {
			return directionOrder(a.Direction) < directionOrder(b.Direction)
		}
		if ca, cb := cats[a.Category], cats[b.Category]; ca.SortOrder != cb.SortOrder {
			return ca.SortOrder < cb.SortOrder
		}
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Regime < b.Regime
	})
	return out
}

func directionOrder(d Direction) int {
	for i, x := range Directions {
		if x == d {
			return i
		}
	}
	return len(Directions)
}

// versionConflict describes what is stored now and who stored it.
func versionConflict(tx *gorm.DB, base int, current CrossingDay, stored []DailyFigure, cats map[int64]CargoCategory) error {
	vc := &VersionConflict{Base: base, Current: current}
	stored = slices.Clone(stored)
	sort.Slice(stored, func(i, j int) bool {
		a, b := stored[i], stored[j]
		if a.Direction != b.Direction {
			return directionOrder(a.Direction) < directionOrder(b.Direction)
		}
		if ca, cb := cats[a.CategoryID], cats[b.CategoryID]; ca.SortOrder != cb.SortOrder {
			return ca.SortOrder < cb.SortOrder
		}
		return a.CategoryID < b.CategoryID || (a.CategoryID == b.CategoryID && a.Regime < b.Regime)
	})
	for _, r := range stored {
		cat := cats[r.CategoryID]
		vc.Figures = append(vc.Figures, FigureRow{Day: r.Day, Direction: r.Direction, CategoryCode: cat.Code, Loaded: cat.Loaded,
			Regime: r.Regime, Trucks: r.Trucks, Tonnes: r.Tonnes, ValueUSD: r.ValueUSD, Verified: current.Verified()})
	}
	if current.UpdatedBy != nil {
		var names []string
		if err := tx.Model(&User{}).Where("id = ?", *current.UpdatedBy).Pluck("username", &names).Error; err != nil {
			return fmt.Errorf("read who saved %s: %w", current.Day, err)
		}
		if len(names) == 1 {
			vc.By = names[0]
		}
	}
	return vc
}

// writeCrossingDay stores the day's new version: a new row for a first
// save, else the next version of the locked row, provisional again.
func writeCrossingDay(tx *gorm.DB, found bool, current, next CrossingDay) error {
	if !found {
		err := tx.Create(&next).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return errDayCreatedMeanwhile
		}
		if err != nil {
			return fmt.Errorf("create the day's version: %w", err)
		}
		return nil
	}
	res := tx.Model(&CrossingDay{}).
		Where("crossing_id = ? AND day = ? AND version = ?", current.CrossingID, current.Day, current.Version).
		Updates(map[string]any{"version": next.Version, "verified_at": nil, "verified_by": nil,
			"updated_at": next.UpdatedAt, "updated_by": next.UpdatedBy})
	if res.Error != nil {
		return fmt.Errorf("store the day's version: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("store the day's version: version %d is no longer current", current.Version)
	}
	return nil
}

// writeFigures upserts the figures that are new or changed and, for a save
// that replaces the day, deletes the stored ones it leaves out.
func writeFigures(tx *gorm.DB, in DayInput, before map[figureKey]FigureInput, after []FigureInput, stored []DailyFigure,
	cats map[string]CargoCategory, byID map[int64]CargoCategory, actor Actor, now time.Time) error {
	var upserts []DailyFigure
	kept := make(map[figureKey]bool, len(after))
	for _, f := range after {
		kept[f.key()] = true
		if old, ok := before[f.key()]; ok && sameFigure(old, f) {
			continue
		}
		upserts = append(upserts, DailyFigure{CrossingID: in.CrossingID, Day: in.Day, Direction: f.Direction,
			CategoryID: cats[f.Category].ID, Regime: f.Regime, Trucks: f.Trucks, Tonnes: f.Tonnes, ValueUSD: f.ValueUSD,
			EnteredBy: actor.UserID, Source: in.Source, CreatedAt: now, UpdatedAt: now})
	}
	if len(upserts) > 0 {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "crossing_id"}, {Name: "day"}, {Name: "direction"}, {Name: "category_id"}, {Name: "regime"}},
			DoUpdates: clause.AssignmentColumns([]string{"trucks", "tonnes", "value_usd", "entered_by", "source", "updated_at"}),
		}).Create(&upserts).Error
		if err != nil {
			return fmt.Errorf("store the figures: %w", err)
		}
	}
	var gone []int64
	for _, r := range stored {
		f := FigureInput{Direction: r.Direction, Category: byID[r.CategoryID].Code, Regime: r.Regime}
		if !kept[f.key()] {
			gone = append(gone, r.ID)
		}
	}
	if len(gone) > 0 {
		if err := tx.Where("id IN ?", gone).Delete(&DailyFigure{}).Error; err != nil {
			return fmt.Errorf("delete the figures left out: %w", err)
		}
	}
	return nil
}

// dayValues is the audit record's picture of a day.
func dayValues(d CrossingDay, figures []FigureInput, confirmedOverLimit bool) DayValues {
	v := DayValues{Version: d.Version, Verified: d.Verified(), ConfirmedOverLimit: confirmedOverLimit, Figures: []FigureValues{}}
	for _, f := range figures {
		v.Figures = append(v.Figures, FigureValues{Direction: f.Direction, Category: f.Category, Regime: f.Regime,
			Trucks: f.Trucks, Tonnes: f.Tonnes, ValueUSD: f.ValueUSD})
	}
	return v
}

// DayFigures reads what is stored of one crossing-day: its version record
// (Version 0 when the day has no figures) and its figures in display order.
func DayFigures(ctx context.Context, db *gorm.DB, crossingID int64, day Date) (CrossingDay, []FigureRow, error) {
	var d CrossingDay
	err := db.WithContext(ctx).Where("crossing_id = ? AND day = ?", crossingID, day).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		d = CrossingDay{CrossingID: crossingID, Day: day}
	} else if err != nil {
		return CrossingDay{}, nil, fmt.Errorf("read the version of %s: %w", day, err)
	}
	rows, err := FiguresInRange(ctx, db, crossingID, DateRange{From: day, To: day})
	if err != nil {
		return CrossingDay{}, nil, err
	}
	return d, rows, nil
}

// UsernamesByID returns the user names of the accounts with the ids given,
// for saying who saved or verified something.
func UsernamesByID(ctx context.Context, db *gorm.DB, ids ...int64) (map[int64]string, error) {
	names := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	var users []User
	if err := db.WithContext(ctx).Select("id", "username").Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("read user names: %w", err)
	}
	for _, u := range users {
		names[u.ID] = u.Username
	}
	return names, nil
}

// DayChange is one audit record of a crossing-day with its values decoded;
// Before is nil for the first save, and a verification has no figures.
type DayChange struct {
	AuditEntry
	Before, After *DayValues
}

// DayHistory returns the audit records of one crossing-day, newest first.
func DayHistory(ctx context.Context, db *gorm.DB, c Crossing, day Date) ([]DayChange, error) {
	var entries []AuditEntry
	err := db.WithContext(ctx).Where("entity = ? AND entity_id = ?", "crossing_day", CrossingDayEntityID(c, day)).
		Order("id DESC").Find(&entries).Error
	if err != nil {
		return nil, fmt.Errorf("read the history of %s: %w", CrossingDayEntityID(c, day), err)
	}
	changes := make([]DayChange, len(entries))
	for i, e := range entries {
		changes[i].AuditEntry = e
		for _, v := range []struct {
			text string
			into **DayValues
		}{{e.Before, &changes[i].Before}, {e.After, &changes[i].After}} {
			if v.text == "" {
				continue
			}
			var values DayValues
			if err := json.Unmarshal([]byte(v.text), &values); err != nil {
				return nil, fmt.Errorf("read audit record %d: %w", e.ID, err)
			}
			*v.into = &values
		}
	}
	return changes, nil
}
