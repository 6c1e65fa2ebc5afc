package app

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// The entities and actions the audit log holds, offered as suggestions in
// the filter; any word of the same shape is accepted, as new kinds of
// records appear with new features.
var (
	auditEntities = []string{"crossing", "cargo_category", "plausibility_limit", "crossing_day", "status_change",
		"user", "api_token", "daily_figures", "status_changes", "demo"}
	auditActions = []string{"create", "update", "verify", "import", "disable", "enable", "change_password",
		"reset_password", "revoke", "load"}
	auditWord      = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)
	auditRequestID = regexp.MustCompile(`^[!-~]{1,100}$`) // visible ASCII, as request IDs are
)

// auditForm is the audit filter as typed.
type auditForm struct {
	Entity, Action, Actor, Crossing, From, To, RequestID, Before string
}

// query is the filter as a query string, without the page.
func (f auditForm) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"entity": f.Entity, "action": f.Action, "actor": f.Actor, "crossing": f.Crossing,
		"from": f.From, "to": f.To, "request_id": f.RequestID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// adminAuditPage is one page of the audit log with its filter.
type adminAuditPage struct {
	Form   auditForm
	Errors map[string]string
	// TextFields are the filter's text inputs; the crossing and the dates
	// have inputs of their own.
	TextFields []formField
	Crossings  []models.Crossing
	Entries    []auditRow
	Newest     string // the first page of this filter, when this is a later one
	Older      string // the next page, when there is one
}

// auditRow is one record as the page shows it.
type auditRow struct {
	models.AuditEntry
	When    string
	Changes []auditChange
	Raw     string // values that are not a JSON object, shown as stored
}

// auditChange is one value of a record, before and after.
type auditChange struct {
	Field, Before, After string
	Changed              bool
}

// parseAuditFilter reads and checks the filter of the audit page.
func (a *App) parseAuditFilter(c echo.Context) (auditForm, models.AuditFilter, []models.FieldError, error) {
	q := c.QueryParams()
	f := auditForm{Entity: strings.TrimSpace(q.Get("entity")), Action: strings.TrimSpace(q.Get("action")),
		Actor: strings.TrimSpace(q.Get("actor")), Crossing: q.Get("crossing"), From: strings.TrimSpace(q.Get("from")),
		To: strings.TrimSpace(q.Get("to")), RequestID: strings.TrimSpace(q.Get("request_id")), Before: q.Get("before")}
	filter := models.AuditFilter{Entity: f.Entity, Action: f.Action, Actor: f.Actor, RequestID: f.RequestID}
	var errs []models.FieldError
	for field, v := range map[string]string{"entity": f.Entity, "action": f.Action} {
		if v != "" && !auditWord.MatchString(v) {
			errs = append(errs, models.FieldError{Field: field, Code: "audit_word"})
		}
	}
	if f.Actor != "" && !models.ValidUsername(f.Actor) {
		errs = append(errs, models.FieldError{Field: "actor", Code: "audit_actor"})
	}
	if f.RequestID != "" && !auditRequestID.MatchString(f.RequestID) {
		errs = append(errs, models.FieldError{Field: "request_id", Code: "audit_request_id"})
	}
	if f.Crossing != "" {
		crossing, err := models.CrossingBySlug(c.Request().Context(), a.db, f.Crossing)
		switch {
		case err == nil:
			filter.Crossing = &crossing
		case errors.Is(err, models.ErrNotFound):
			errs = append(errs, models.FieldError{Field: "crossing", Code: "unknown_crossing", Params: map[string]any{"Value": f.Crossing}})
		default:
			return f, filter, nil, err
		}
	}
	var from, to models.Date
	for _, d := range []struct {
		field, value string
		into         *models.Date
	}{{"from", f.From, &from}, {"to", f.To, &to}} {
		if d.value == "" {
			continue
		}
		day, err := models.ParseDate(d.value)
		if err != nil {
			errs = append(errs, models.FieldError{Field: d.field, Code: "not_date"})
		}
		*d.into = day
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		errs = append(errs, models.FieldError{Field: "to", Code: "audit_reversed", Params: map[string]any{"From": from.String()}})
	}
	// Days are the administrators' days, in the configured zone; "to" is
	// the whole of its day.
	if !from.IsZero() {
		filter.From = from.Start(a.cfg.TimeZone)
	}
	if !to.IsZero() {
		filter.To = to.AddDays(1).Start(a.cfg.TimeZone)
	}
	if f.Before != "" {
		id, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || id <= 0 {
			errs = append(errs, models.FieldError{Field: "before", Code: "audit_page"})
		}
		filter.Before = id
	}
	return f, filter, errs, nil
}

// showAudit renders GET /admin/audit: the log newest first, filtered, a
// page at a time. A filter that cannot be read is answered 400 with a
// message per field and no records.
func (a *App) showAudit(c echo.Context) error {
	ctx, l := c.Request().Context(), a.locale(c)
	form, filter, errs, err := a.parseAuditFilter(c)
	if err != nil {
		return err
	}
	p := adminAuditPage{Form: form, Errors: formErrors(l, errs, func(f string) string { return l.T("admin_audit.field." + f) })}
	if p.Crossings, err = models.Crossings(ctx, a.db); err != nil {
		return err
	}
	for _, f := range []struct {
		name, value string
		list        []string
	}{{"entity", form.Entity, auditEntities}, {"action", form.Action, auditActions}, {"actor", form.Actor, nil}, {"request_id", form.RequestID, nil}} {
		p.TextFields = append(p.TextFields, formField{Name: f.name, Label: l.T("admin_audit.field." + f.name), Value: f.value,
			List: f.list, Error: p.Errors[f.name]})
	}
	if len(errs) > 0 {
		return a.render(c, http.StatusBadRequest, "admin_audit", l.T("admin_audit.title"), p)
	}
	entries, more, err := models.AuditLog(ctx, a.db, filter)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p.Entries = append(p.Entries, newAuditRow(l, e, a.cfg.TimeZone))
	}
	base := form.query()
	if filter.Before > 0 {
		p.Newest = "/admin/audit?" + base.Encode()
	}
	if more {
		base.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		p.Older = "/admin/audit?" + base.Encode()
	}
	return a.render(c, http.StatusOK, "admin_audit", l.T("admin_audit.title"), p)
}

// newAuditRow lays out a record's values before and after, one row per
// field, the changed ones marked.
func newAuditRow(l *Locale, e models.AuditEntry, loc *time.Location) auditRow {
	row := auditRow{AuditEntry: e, When: l.DateTime(e.At, loc)}
	before, okBefore := auditObject(e.Before)
	after, okAfter := auditObject(e.After)
	if !okBefore || !okAfter {
		row.Raw = strings.TrimSpace(e.Before + "\n" + e.After)
		return row
	}
	var fields []string
	for k := range before {
		fields = append(fields, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			fields = append(fields, k)
		}
	}
	slices.Sort(fields)
	for _, k := range fields {
		ch := auditChange{Field: k, Before: auditText(before, k), After: auditText(after, k)}
		ch.Changed = e.Before != "" && e.After != "" && ch.Before != ch.After
		row.Changes = append(row.Changes, ch)
	}
	return row
}

// auditObject decodes stored values: "" is no values, which is fine.
func auditObject(s string) (map[string]json.RawMessage, bool) {
	if s == "" {
		return nil, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, false
	}
	return m, true
}

// auditText writes one value for a reader: a string as it is, anything
// else as compact JSON; "" when the record has no such value.
func auditText(m map[string]json.RawMessage, k string) string {
	raw, ok := m[k]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
