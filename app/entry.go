package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// The measures of a grid cell; an input is named "<cell>.<measure>", a cell
// "<direction>.<category>.<regime>", so that a rule broken by a figure
// (models names it "<cell>.trucks") points at its input.
const (
	measureTrucks = "trucks"
	measureTonnes = "tonnes"
	measureValue  = "value_usd"
)

// cellName names the inputs of one figure of the grid.
func cellName(d models.Direction, category string, regime models.Regime) string {
	return string(d) + "." + category + "." + string(regime)
}

// entryMeta are the entry form's fields that are not grid cells.
var entryMeta = map[string]bool{"_csrf": true, "date": true, "base_version": true, "confirm": true, "edit_reason": true}

// entryForm is the daily entry form as posted: the values typed (to show
// them again) and what they mean.
type entryForm struct {
	DateText    string
	Day         models.Date
	BaseVersion int
	Figures     []models.FigureInput
	Confirm     bool
	EditReason  string
	Values      map[string]string // every grid input as typed, by name
}

// parseEntryForm reads the entry form. It accepts only the grid's input
// names and the form's own fields; each value that is not what its field
// takes is a field error, and the cells that parse become figures for the
// rules in models to check. Empty cells are no figure at all.
func parseEntryForm(params url.Values) (entryForm, []models.FieldError) {
	var errs []models.FieldError
	refuse := func(field, code string, params map[string]any) {
		errs = append(errs, models.FieldError{Field: field, Code: code, Params: params})
	}
	form := entryForm{
		DateText:   strings.TrimSpace(params.Get("date")),
		Confirm:    params.Get("confirm") != "",
		EditReason: params.Get("edit_reason"),
		Values:     map[string]string{},
	}
	if day, err := models.ParseDate(form.DateText); err != nil {
		refuse("date", "not_date", nil)
	} else {
		form.Day = day
	}
	if v := params.Get("base_version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			refuse("base_version", "not_whole", nil)
		}
		form.BaseVersion = n
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	type cellText struct{ trucks, tonnes, value string }
	cells := map[string]*cellText{}
	var order []string
	for _, key := range keys {
		if entryMeta[key] || key == "" { // a value without a name belongs to no field
			continue
		}
		cell, measure, ok := splitInputName(key)
		if !ok {
			refuse(key, "unknown_field", nil)
			continue
		}
		if len(params[key]) != 1 {
			refuse(key, "repeated_field", nil)
			continue
		}
		text := strings.TrimSpace(params[key][0])
		form.Values[key] = text
		ct := cells[cell]
		if ct == nil {
			ct = &cellText{}
			cells[cell] = ct
			order = append(order, cell)
		}
		switch measure {
		case measureTrucks:
			ct.trucks = text
		case measureTonnes:
			ct.tonnes = text
		case measureValue:
			ct.value = text
		}
	}
	for _, cell := range order {
		ct := cells[cell]
		if ct.trucks == "" && ct.tonnes == "" && ct.value == "" {
			continue
		}
		parts := strings.Split(cell, ".")
		f := models.FigureInput{Field: cell, Direction: models.Direction(parts[0]), Category: parts[1], Regime: models.Regime(parts[2])}
		before := len(errs)
		if ct.trucks == "" {
			refuse(cell+"."+measureTrucks, "trucks_required", nil)
		} else if n, code := parseWhole(ct.trucks); code != "" {
			refuse(cell+"."+measureTrucks, code, limitParams(code, models.MaxTrucksPerFigure))
		} else {
			f.Trucks = n
		}
		for _, m := range []struct {
			measure, text string
			max           int64
			into          **float64
		}{{measureTonnes, ct.tonnes, models.MaxTonnesPerFigure, &f.Tonnes}, {measureValue, ct.value, models.MaxValuePerFigure, &f.ValueUSD}} {
			if m.text == "" {
				continue
			}
			if v, code := parseDecimal(m.text); code != "" {
				refuse(cell+"."+m.measure, code, limitParams(code, m.max))
			} else {
				*m.into = &v
			}
		}
		if len(errs) == before {
			form.Figures = append(form.Figures, f)
		}
	}
	return form, errs
}

// limitParams gives a "too_large" refusal the limit its message names.
func limitParams(code string, limit int64) map[string]any {
	if code != "too_large" {
		return nil
	}
	return map[string]any{"Max": limit}
}

// splitInputName splits a grid input's name into its cell and measure.
func splitInputName(name string) (cell, measure string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || strings.Count(name, ".") != 3 {
		return "", "", false
	}
	cell, measure = name[:i], name[i+1:]
	if measure != measureTrucks && measure != measureTonnes && measure != measureValue {
		return "", "", false
	}
	for _, part := range strings.Split(cell, ".") {
		if part == "" {
			return "", "", false
		}
	}
	return cell, measure, true
}

var (
	wholeNumber   = regexp.MustCompile(`^-?[0-9]+$`)
	decimalNumber = regexp.MustCompile(`^-?([0-9]+\.?[0-9]*|\.[0-9]+)$`)
)

// parseWhole reads a count typed into a form, or names the rule it breaks.
func parseWhole(s string) (int, string) {
	s = models.ASCIIDigits(s)
	switch {
	case wholeNumber.MatchString(s):
		n, err := strconv.Atoi(s)
		if err != nil {
			if strings.HasPrefix(s, "-") {
				return 0, "negative"
			}
			return 0, "too_large"
		}
		return n, ""
	case decimalNumber.MatchString(s):
		return 0, "not_whole"
	}
	return 0, "not_number"
}

// parseDecimal reads a number of tonnes or dollars typed into a form, or
// names the rule it breaks. Only digits and a decimal point are taken:
// "1,5" could mean one and a half or fifteen, so it is refused, not guessed.
func parseDecimal(s string) (float64, string) {
	s = models.ASCIIDigits(s)
	if !decimalNumber.MatchString(s) {
		return 0, "not_number"
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, "too_large"
	}
	return v, ""
}

// entryPage is the daily entry form of one crossing-day.
type entryPage struct {
	Crossing    models.Crossing
	Day         models.Date
	DateText    string
	Today       models.Date
	Prev, Next  models.Date // neighbouring days; Next is zero after today
	BaseVersion int
	Stored      models.CrossingDay
	SavedBy     string
	VerifiedBy  string
	SavedAt     string
	VerifiedAt  string
	Directions  []models.Direction
	Rows        []entryRow // loaded cargo
	EmptyRows   []entryRow // empty trucks returning
	Totals      []entryTotal
	Extras      []entryExtras     // tonnes and value, one section per direction
	Problems    []string          // every refusal, naming field and rule
	Errors      map[string]string // form-level fields: date, edit_reason, confirm
	OverLimit   bool
	CanConfirm  bool // a supervisor or admin may confirm figures above the limit
	Confirm     bool
	NeedsReason bool // the day is verified: a change needs a reason
	EditReason  string
	CanVerify   bool
	Conflict    *entryConflict
	Rerender    bool // the grid shows what was typed, not what is stored
	Flash       string
	DraftKey    string // where entry.js keeps unsaved input in the browser
}

// entryRow is one cargo category (under one regime) across both directions.
type entryRow struct {
	Label    string
	Category models.CargoCategory
	Regime   models.Regime
	Cells    []entryCell
}

// entryCell is one figure's inputs, as typed or stored, with their messages.
type entryCell struct {
	Direction                models.Direction
	Name                     string
	Trucks, Tonnes, Value    string
	TrucksError, TonnesError string
	ValueError, ValueWarning string
	Theirs                   string // in a conflict: the trucks the other person saved
	TheirsDiffer             bool
}

// entryExtras is the optional tonnes and value of one direction, in a
// section of its own so that the grid of counts fits a phone; it opens
// when one of its values has a message.
type entryExtras struct {
	Index     int // the direction's place in each row's cells
	Direction models.Direction
	Open      bool
}

// entryTotal is a direction's loaded trucks.
type entryTotal struct {
	Direction models.Direction
	Trucks    int
	Limit     int
	Error     string
}

// entryConflict is the other person's save that a stale form ran into.
type entryConflict struct {
	By      string
	At      string
	Version int
	Rows    []conflictRow
}

// conflictRow compares one figure: the other person's values and yours.
type conflictRow struct {
	Label, Direction string
	Theirs, Yours    string
	Differs          bool
}

// entryPath is the address of a crossing-day's entry form.
func entryPath(slug string, day models.Date) string {
	return "/staff/crossings/" + slug + "/entry?date=" + day.String()
}

// staffCrossing finds the crossing a staff page is about and checks, per
// object (ASVS V4.2.1), that the signed-in user works on it; a refusal is
// logged and answered 403.
func (a *App) staffCrossing(c echo.Context) (models.Crossing, error) {
	crossing, err := models.CrossingBySlug(c.Request().Context(), a.db, c.Param("slug"))
	if err != nil {
		return models.Crossing{}, err
	}
	if !a.mayEditCrossing(currentUser(c), crossing.ID) {
		return models.Crossing{}, a.denyAccess(c, "crossing")
	}
	return crossing, nil
}

// supervises reports whether u may verify, confirm implausible figures and
// back-date further: a supervisor or an administrator.
func supervises(u *models.User) bool {
	return u != nil && (u.Role == models.RoleSupervisor || u.Role == models.RoleAdmin)
}

// showEntry renders GET /staff/crossings/:slug/entry?date=: the stored
// figures of the day (today at the crossing by default).
func (a *App) showEntry(c echo.Context) error {
	crossing, err := a.staffCrossing(c)
	if err != nil {
		return err
	}
	rules, err := models.LoadFigureRules(c.Request().Context(), a.db, crossing, a.now())
	if err != nil {
		return err
	}
	day := rules.Today
	if s := c.QueryParam("date"); s != "" {
		if day, err = models.ParseDate(s); err != nil {
			return invalidInput("entry.bad_date", "Value", s)
		}
	}
	p, err := a.newEntryPage(c, rules, day)
	if err != nil {
		return err
	}
	var figures []models.FigureInput
	_, rows, err := models.DayFigures(c.Request().Context(), a.db, crossing.ID, day)
	if err != nil {
		return err
	}
	for _, r := range rows {
		f := models.FigureInput{Field: cellName(r.Direction, r.CategoryCode, r.Regime), Direction: r.Direction,
			Category: r.CategoryCode, Regime: r.Regime, Trucks: r.Trucks, Tonnes: r.Tonnes, ValueUSD: r.ValueUSD}
		figures = append(figures, f)
	}
	values := storedValues(figures)
	var findings []models.FieldError
	if fe := rules.CheckDay(day); fe != nil {
		findings = append(findings, *fe)
	}
	for _, f := range figures {
		_, warnings := models.SplitWarnings(rules.CheckFigure(f.Field, f))
		findings = append(findings, warnings...)
	}
	p.fill(a.locale(c), rules, values, figures, findings)
	// Nothing was sent: a day outside the records is said by the date,
	// not as a save that failed.
	p.Problems = nil
	p.Flash = a.popFlash(c)
	return a.render(c, http.StatusOK, "entry", p.title(a.locale(c)), p)
}

// storedValues writes stored figures as the grid's input values.
func storedValues(figures []models.FigureInput) map[string]string {
	values := map[string]string{}
	for _, f := range figures {
		values[f.Field+"."+measureTrucks] = strconv.Itoa(f.Trucks)
		if f.Tonnes != nil {
			values[f.Field+"."+measureTonnes] = strconv.FormatFloat(*f.Tonnes, 'f', -1, 64)
		}
		if f.ValueUSD != nil {
			values[f.Field+"."+measureValue] = strconv.FormatFloat(*f.ValueUSD, 'f', -1, 64)
		}
	}
	return values
}

// saveEntry handles POST /staff/crossings/:slug/entry: the whole grid of a
// day, saved in one transaction, or shown again with what was typed.
func (a *App) saveEntry(c echo.Context) error {
	ctx, l, u := c.Request().Context(), a.locale(c), currentUser(c)
	crossing, err := a.staffCrossing(c)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return invalidInput("error.bad_request")
	}
	rules, err := models.LoadFigureRules(ctx, a.db, crossing, a.now())
	if err != nil {
		return err
	}
	form, findings := parseEntryForm(params)
	// Only a supervisor's tick confirms; an officer's (a tampered form) counts for nothing.
	confirm := form.Confirm && supervises(u)
	in := models.DayInput{CrossingID: crossing.ID, Day: form.Day, BaseVersion: form.BaseVersion, Figures: form.Figures,
		ReplaceDay: true, ConfirmImplausible: confirm, EditReason: form.EditReason, Source: "form"}
	if form.Day.IsZero() {
		in.Day = rules.Today // only to check the figures; the date's own error is already found
	}
	findings = append(findings, rules.CheckDayInput(in)...)
	var saved models.CrossingDay
	var conflict *models.VersionConflict
	if refusals, _ := models.SplitWarnings(findings); len(refusals) == 0 {
		saved, err = models.SaveDay(ctx, a.db, a.actor(c), rules, in)
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ve):
			findings = append(ve.Fields, ve.Warnings...)
		case errors.As(err, &conflict):
			a.log.Info("figures refused: changed meanwhile", "crossing", crossing.Slug, "day", form.Day, "base", form.BaseVersion,
				"current", conflict.Current.Version, "user", u.Username, "request_id", requestID(c))
		case err != nil:
			return err
		default:
			a.pages.invalidate()
			a.metrics.figureDaysSaved("form", 1)
			a.log.Info("figures saved", "crossing", crossing.Slug, "day", form.Day, "version", saved.Version,
				"user", u.Username, "request_id", requestID(c))
			a.flash(c, "entry.saved")
			return c.Redirect(http.StatusSeeOther, entryPath(crossing.Slug, form.Day)+"&saved=1")
		}
	}
	day := form.Day
	if day.IsZero() {
		day = rules.Today
	}
	p, err := a.newEntryPage(c, rules, day)
	if err != nil {
		return err
	}
	p.DateText, p.Rerender, p.Confirm, p.EditReason = form.DateText, true, confirm, form.EditReason
	p.BaseVersion = form.BaseVersion
	status := http.StatusUnprocessableEntity
	if conflict != nil {
		status = http.StatusConflict
		p.BaseVersion = conflict.Current.Version
		p.NeedsReason = conflict.Current.Verified()
		p.Conflict = newEntryConflict(l, rules, conflict, form.Figures)
	}
	p.fill(l, rules, form.Values, form.Figures, findings)
	if p.Conflict != nil {
		p.markConflict(conflict)
	}
	return a.render(c, status, "entry", p.title(l), p)
}

// newEntryPage sets up the page of a crossing-day with what is stored of
// its version and verification; the grid is filled by fill.
func (a *App) newEntryPage(c echo.Context, rules models.FigureRules, day models.Date) (*entryPage, error) {
	ctx, l, u := c.Request().Context(), a.locale(c), currentUser(c)
	stored, _, err := models.DayFigures(ctx, a.db, rules.Crossing.ID, day)
	if err != nil {
		return nil, err
	}
	p := &entryPage{Crossing: rules.Crossing, Day: day, DateText: day.String(), Today: rules.Today,
		Prev: day.AddDays(-1), BaseVersion: stored.Version, Stored: stored, Directions: models.Directions,
		Errors: map[string]string{}, CanConfirm: supervises(u), NeedsReason: stored.Verified(),
		// Per user: on a device shared at the crossing, one officer's
		// unsaved figures must not appear in another's form.
		DraftKey: "borderflow:entry:" + u.Username + ":" + rules.Crossing.Slug + ":" + day.String()}
	if day.Before(rules.Today) {
		p.Next = day.AddDays(1)
	}
	if p.Prev.Before(rules.Crossing.RecordsFrom) {
		p.Prev = models.Date{}
	}
	var ids []int64
	for _, id := range []*int64{stored.UpdatedBy, stored.VerifiedBy} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	names, err := models.UsernamesByID(ctx, a.db, ids...)
	if err != nil {
		return nil, err
	}
	loc := rules.Crossing.Location()
	if stored.Version > 0 {
		p.SavedAt = l.DateTime(stored.UpdatedAt, loc)
		if stored.UpdatedBy != nil {
			p.SavedBy = names[*stored.UpdatedBy]
		}
	}
	if stored.Verified() {
		p.VerifiedAt = l.DateTime(*stored.VerifiedAt, loc)
		if stored.VerifiedBy != nil {
			p.VerifiedBy = names[*stored.VerifiedBy]
		}
	}
	p.CanVerify = supervises(u) && stored.Version > 0 && !stored.Verified()
	return p, nil
}

// title is the page's title: the crossing and the day.
func (p *entryPage) title(l *Locale) string {
	return l.T("entry.title", "Crossing", p.Crossing.Name, "Date", p.Day.String())
}

// fill lays out the grid: a row per cargo category (and per other regime
// that holds a figure), the values given, the totals, and a message for
// each finding, by its input or in the list of problems.
func (p *entryPage) fill(l *Locale, rules models.FigureRules, values map[string]string, figures []models.FigureInput, findings []models.FieldError) {
	categories := make([]models.CargoCategory, 0, len(rules.Categories))
	for _, cat := range rules.Categories {
		categories = append(categories, cat)
	}
	slices.SortFunc(categories, func(x, y models.CargoCategory) int {
		if x.SortOrder != y.SortOrder {
			return x.SortOrder - y.SortOrder
		}
		return strings.Compare(x.Code, y.Code)
	})
	extraRegimes := map[string][]models.Regime{}
	for name := range values {
		if cell, _, ok := splitInputName(name); ok {
			parts := strings.Split(cell, ".")
			cat, ok := rules.Categories[parts[1]]
			if r := models.Regime(parts[2]); ok && r != usualRegime(cat) && (r == models.RegimeBilateral || r == models.RegimeTransit) &&
				!slices.Contains(extraRegimes[cat.Code], r) {
				extraRegimes[cat.Code] = append(extraRegimes[cat.Code], r)
			}
		}
	}
	byInput := map[string][]models.FieldError{}
	for _, fe := range findings {
		byInput[fe.Field] = append(byInput[fe.Field], fe)
	}
	for _, cat := range categories {
		for _, regime := range append([]models.Regime{usualRegime(cat)}, extraRegimes[cat.Code]...) {
			row := entryRow{Label: l.CategoryName(cat.Code, cat.Name), Category: cat, Regime: regime}
			if regime != usualRegime(cat) {
				row.Label = l.T("entry.row_regime", "Category", l.CategoryName(cat.Code, cat.Name), "Regime", l.T("regime."+string(regime)))
			}
			for _, d := range models.Directions {
				name := cellName(d, cat.Code, regime)
				cell := entryCell{Direction: d, Name: name, Trucks: values[name+"."+measureTrucks],
					Tonnes: values[name+"."+measureTonnes], Value: values[name+"."+measureValue]}
				cell.TrucksError = messagesOf(l, rules, byInput[name+"."+measureTrucks], false)
				cell.TonnesError = messagesOf(l, rules, byInput[name+"."+measureTonnes], false)
				cell.ValueError = messagesOf(l, rules, byInput[name+"."+measureValue], false)
				cell.ValueWarning = messagesOf(l, rules, byInput[name+"."+measureValue], true)
				for _, m := range []string{measureTrucks, measureTonnes, measureValue} {
					delete(byInput, name+"."+m)
				}
				row.Cells = append(row.Cells, cell)
			}
			if cat.Loaded {
				p.Rows = append(p.Rows, row)
			} else {
				p.EmptyRows = append(p.EmptyRows, row)
			}
		}
	}
	for i, d := range models.Directions {
		x := entryExtras{Index: i, Direction: d}
		for _, row := range p.Rows {
			cell := row.Cells[i]
			x.Open = x.Open || cell.TonnesError != "" || cell.ValueError != "" || cell.ValueWarning != ""
		}
		p.Extras = append(p.Extras, x)
	}
	// The totals add up the figures that are not refused, as the live
	// totals in the browser do.
	refused := map[string]bool{}
	for _, fe := range findings {
		if cell, _, ok := splitInputName(fe.Field); ok && !fe.IsWarning() {
			refused[cell] = true
		}
	}
	totals := rules.LoadedTotals(slices.DeleteFunc(slices.Clone(figures), func(f models.FigureInput) bool { return refused[f.Field] }))
	for _, d := range models.Directions {
		t := entryTotal{Direction: d, Trucks: totals[d], Limit: rules.Limits[d]}
		t.Error = messagesOf(l, rules, byInput["totals."+string(d)], false)
		if t.Error != "" {
			p.OverLimit = true
		}
		delete(byInput, "totals."+string(d))
		p.Totals = append(p.Totals, t)
	}
	for _, field := range []string{"date", "edit_reason"} {
		p.Errors[field] = messagesOf(l, rules, byInput[field], false)
	}
	for _, fe := range findings {
		if !fe.IsWarning() {
			p.Problems = append(p.Problems, validationMessage(l, fe, fieldLabel(l, rules, fe.Field)))
		}
	}
	if slices.ContainsFunc(findings, func(fe models.FieldError) bool { return fe.Code == "reason_required" }) {
		p.NeedsReason = true
	}
}

// usualRegime is the regime a category's row of the grid is under:
// transit containers travel under Afghan Transit Trade, the rest bilaterally.
func usualRegime(cat models.CargoCategory) models.Regime {
	if cat.Code == "transit" {
		return models.RegimeTransit
	}
	return models.RegimeBilateral
}

// messagesOf joins the messages of the refusals (or, with warnings, of the
// warnings) of one input.
func messagesOf(l *Locale, rules models.FigureRules, errs []models.FieldError, warnings bool) string {
	var msgs []string
	for _, fe := range errs {
		if fe.IsWarning() == warnings {
			msgs = append(msgs, validationMessage(l, fe, fieldLabel(l, rules, fe.Field)))
		}
	}
	return strings.Join(msgs, " ")
}

// validationMessage is a rule's message (validation.<code>) about the
// field named label, with the rule's values formatted for the reader.
func validationMessage(l *Locale, fe models.FieldError, label string) string {
	args := []any{"Field", label}
	for k, v := range fe.Params {
		switch v := v.(type) {
		case int:
			args = append(args, k, l.Number(v))
		case int64:
			args = append(args, k, l.Number(int(v)))
		default:
			if k == "Direction" {
				args = append(args, k, l.T("direction."+fmt.Sprint(v)))
			} else {
				args = append(args, k, fmt.Sprint(v))
			}
		}
	}
	return l.T("validation."+fe.Code, args...)
}

// fieldLabel names a field of the entry or status form for a reader: a
// grid input by its category, direction and measure.
func fieldLabel(l *Locale, rules models.FigureRules, field string) string {
	if cell, measure, ok := splitInputName(field); ok {
		parts := strings.Split(cell, ".")
		name := parts[1]
		if cat, ok := rules.Categories[parts[1]]; ok {
			name = l.CategoryName(cat.Code, cat.Name)
		}
		where := name + ", " + l.T("direction."+parts[0])
		if !slices.Contains(models.Directions, models.Direction(parts[0])) {
			where = name + ", " + parts[0]
		}
		return l.T("field."+measure, "Cell", where)
	}
	if d, ok := strings.CutPrefix(field, "totals."); ok {
		return l.T("field.total", "Direction", l.T("direction."+d))
	}
	switch field {
	case "date", "edit_reason", "base_version", "figures", "state", "scope", "reason", "note", "effective_at":
		return l.T("field." + field)
	}
	return l.T("field.unknown", "Name", field)
}

// newEntryConflict describes the save that a stale form ran into, figure
// by figure beside what the person typed.
func newEntryConflict(l *Locale, rules models.FigureRules, vc *models.VersionConflict, mine []models.FigureInput) *entryConflict {
	ec := &entryConflict{By: vc.By, Version: vc.Current.Version, At: l.DateTime(vc.Current.UpdatedAt, rules.Crossing.Location())}
	if ec.By == "" {
		ec.By = l.T("entry.someone")
	}
	theirs := map[string]string{}
	var order []string
	for _, f := range vc.Figures {
		name := cellName(f.Direction, f.CategoryCode, f.Regime)
		theirs[name] = figureText(l, f.Trucks, f.Tonnes, f.ValueUSD)
		order = append(order, name)
	}
	yours := map[string]string{}
	for _, f := range mine {
		yours[f.Field] = figureText(l, f.Trucks, f.Tonnes, f.ValueUSD)
		if _, ok := theirs[f.Field]; !ok {
			order = append(order, f.Field)
		}
	}
	for _, name := range order {
		parts := strings.Split(name, ".")
		label := parts[1]
		if cat, ok := rules.Categories[parts[1]]; ok {
			label = l.CategoryName(cat.Code, cat.Name)
		}
		row := conflictRow{Label: label, Direction: l.T("direction." + parts[0]), Theirs: theirs[name], Yours: yours[name]}
		row.Differs = row.Theirs != row.Yours
		ec.Rows = append(ec.Rows, row)
	}
	return ec
}

// markConflict puts the other person's trucks beside each input.
func (p *entryPage) markConflict(vc *models.VersionConflict) {
	theirs := map[string]int{}
	for _, f := range vc.Figures {
		theirs[cellName(f.Direction, f.CategoryCode, f.Regime)] = f.Trucks
	}
	for _, rows := range [][]entryRow{p.Rows, p.EmptyRows} {
		for i := range rows {
			for j := range rows[i].Cells {
				cell := &rows[i].Cells[j]
				// Only a box that either of the two filled in gets a comparison.
				switch n, ok := theirs[cell.Name]; {
				case ok:
					cell.Theirs = strconv.Itoa(n)
					cell.TheirsDiffer = cell.Trucks != cell.Theirs
				case cell.Trucks != "":
					cell.Theirs, cell.TheirsDiffer = "–", true
				}
			}
		}
	}
}

// figureText writes a figure as "90 trucks, 3,600 t, US$ 225,000".
func figureText(l *Locale, trucks int, tonnes, value *float64) string {
	s := l.N("unit.trucks", trucks)
	if tonnes != nil {
		s += ", " + l.T("unit.tonnes", "Tonnes", strconv.FormatFloat(*tonnes, 'f', -1, 64))
	}
	if value != nil {
		s += ", " + l.T("unit.usd", "Value", strconv.FormatFloat(*value, 'f', -1, 64))
	}
	return s
}
