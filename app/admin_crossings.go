package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// crossingForm is the crossing form as typed, sent back on an error.
type crossingForm struct {
	Slug, Name, AfghanSide, Province     string
	Latitude, Longitude, TimeZone, Hours string
	RecordsFrom, SortOrder               string
	Active                               bool
}

// crossingFormOf is the form showing a stored crossing.
func crossingFormOf(c models.Crossing) crossingForm {
	return crossingForm{Slug: c.Slug, Name: c.Name, AfghanSide: c.AfghanSide, Province: c.Province,
		Latitude: strconv.FormatFloat(c.Latitude, 'f', -1, 64), Longitude: strconv.FormatFloat(c.Longitude, 'f', -1, 64),
		TimeZone: c.TimeZone, Hours: c.Hours, RecordsFrom: c.RecordsFrom.String(), SortOrder: strconv.Itoa(c.SortOrder),
		Active: c.Active}
}

// parseCrossingForm reads the crossing form; numbers and the date that
// cannot be read come back as refusals, the rest is for the models' rules.
func parseCrossingForm(params url.Values) (crossingForm, models.CrossingInput, []models.FieldError) {
	f := crossingForm{Slug: params.Get("slug"), Name: params.Get("name"), AfghanSide: params.Get("afghan_side"),
		Province: params.Get("province"), Latitude: params.Get("latitude"), Longitude: params.Get("longitude"),
		TimeZone: params.Get("time_zone"), Hours: params.Get("hours"), RecordsFrom: params.Get("records_from"),
		SortOrder: params.Get("sort_order"), Active: params.Get("active") != ""}
	in := models.CrossingInput{Slug: strings.TrimSpace(f.Slug), Name: f.Name, AfghanSide: f.AfghanSide, Province: f.Province,
		TimeZone: f.TimeZone, Hours: f.Hours, Active: f.Active}
	var errs []models.FieldError
	in.Latitude = formDecimal(&errs, "latitude", f.Latitude, true)
	in.Longitude = formDecimal(&errs, "longitude", f.Longitude, true)
	in.SortOrder = formWhole(&errs, "sort_order", f.SortOrder)
	if s := strings.TrimSpace(f.RecordsFrom); s != "" {
		day, err := models.ParseDate(s)
		if err != nil {
			errs = append(errs, models.FieldError{Field: "records_from", Code: "not_date"})
		}
		in.RecordsFrom = day
	}
	return f, in, errs
}

// formDecimal reads a decimal number typed into a form field; an empty
// field is 0 unless required.
func formDecimal(errs *[]models.FieldError, field, s string, required bool) float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			*errs = append(*errs, models.FieldError{Field: field, Code: "required"})
		}
		return 0
	}
	v, code := parseDecimal(s)
	if code != "" {
		*errs = append(*errs, models.FieldError{Field: field, Code: code, Params: limitParams(code, 0)})
	}
	return v
}

// formWhole reads a whole number typed into a form field; empty is 0.
func formWhole(errs *[]models.FieldError, field, s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, code := parseWhole(s)
	if code != "" {
		if code == "too_large" || code == "negative" {
			code = "not_number"
		}
		*errs = append(*errs, models.FieldError{Field: field, Code: code})
	}
	return n
}

// adminFieldLabel names a field of the administrator's forms.
func adminFieldLabel(l *Locale, field string) string { return l.T("admin.field." + field) }

// formErrors turns the refusals of a form into one message per field,
// keyed by the field's name as the template looks them up.
func formErrors(l *Locale, errs []models.FieldError, label func(string) string) map[string]string {
	out := map[string]string{}
	for _, fe := range errs {
		msg := validationMessage(l, fe, label(fe.Field))
		if have, ok := out[fe.Field]; ok {
			msg = have + " " + msg
		}
		out[fe.Field] = msg
	}
	return out
}

// refusals returns the fields of a *models.ValidationError, or nil when
// err is some other error.
func refusals(err error) []models.FieldError {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return ve.Fields
	}
	return nil
}

// adminCrossingsPage lists every crossing, inactive ones too.
type adminCrossingsPage struct {
	Crossings []models.Crossing
	Flash     string
}

// showCrossings renders GET /admin/crossings.
func (a *App) showCrossings(c echo.Context) error {
	crossings, err := models.Crossings(c.Request().Context(), a.db)
	if err != nil {
		return err
	}
	l := a.locale(c)
	return a.render(c, http.StatusOK, "admin_crossings", l.T("admin_crossings.title"),
		adminCrossingsPage{Crossings: crossings, Flash: a.popFlash(c)})
}

// adminFormPage is one of the administrator's forms (templates/pages/admin_form.html):
// its fields in order, each with what was typed and its error.
type adminFormPage struct {
	Back, BackLabel, Action, Submit string
	Fields                          []formField
	Errors                          map[string]string
}

// formField is one field of an adminFormPage. Kind is "text" (an input of
// Type, default text), "textarea", "select", "checkbox", or "fixed" (shown,
// not editable).
type formField struct {
	Name, Label, Value, Kind, Type, Mode, Hint, Error string
	Required, Checked                                 bool
	Options                                           []formOption
	List                                              []string // suggestions for a text input
}

type formOption struct{ Value, Label string }

// newField is a text field of the administrator's forms, labelled by
// admin.field.<name>, with its error if any.
func newField(l *Locale, errs map[string]string, name, value string) formField {
	return formField{Name: name, Label: adminFieldLabel(l, name), Value: value, Kind: "text", Error: errs[name]}
}

// commonZones are offered as the time zone; any IANA name is accepted.
var commonZones = []string{"Asia/Karachi", "Asia/Kabul", "Asia/Tehran", "Asia/Dushanbe"}

// crossingPath is the address of a crossing's edit page.
func crossingPath(id int64) string { return "/admin/crossings/" + strconv.FormatInt(id, 10) }

// renderCrossingForm renders the form that adds a crossing (id 0) or edits one.
func (a *App) renderCrossingForm(c echo.Context, status int, id int64, f crossingForm, errs map[string]string) error {
	l := a.locale(c)
	field := func(name, value, hint string) formField {
		ff := newField(l, errs, name, value)
		if hint != "" {
			ff.Hint = l.T(hint)
		}
		return ff
	}
	slug := field("slug", f.Slug, "admin_crossings.slug_hint")
	slug.Required = true
	name := field("name", f.Name, "")
	name.Required = true
	lat, lon := field("latitude", f.Latitude, "admin_crossings.latitude_hint"), field("longitude", f.Longitude, "admin_crossings.longitude_hint")
	lat.Mode, lon.Mode, lat.Required, lon.Required = "decimal", "decimal", true, true
	zone := field("time_zone", f.TimeZone, "admin_crossings.time_zone_hint")
	zone.List, zone.Required = commonZones, true
	hours := field("hours", f.Hours, "admin_crossings.hours_hint")
	hours.Kind = "textarea"
	from := field("records_from", f.RecordsFrom, "admin_crossings.records_from_hint")
	from.Type, from.Required = "date", true
	order := field("sort_order", f.SortOrder, "admin.sort_order_hint")
	order.Mode = "numeric"
	active := field("active", "", "admin_crossings.active_hint")
	active.Kind, active.Checked = "checkbox", f.Active
	p := adminFormPage{Back: "/admin/crossings", BackLabel: l.T("admin_crossings.title"), Action: "/admin/crossings",
		Submit: l.T("admin_crossings.add"), Errors: errs}
	title := l.T("admin_crossings.new_title")
	if id != 0 {
		slug.Kind, slug.Hint = "fixed", ""
		p.Action, p.Submit = crossingPath(id), l.T("admin.save")
		title = l.T("admin_crossings.edit_title", "Crossing", f.Slug)
	}
	p.Fields = []formField{slug, name, field("afghan_side", f.AfghanSide, "admin_crossings.afghan_side_hint"),
		field("province", f.Province, ""), lat, lon, zone, hours, from, order, active}
	return a.render(c, status, "admin_form", title, p)
}

// showNewCrossing renders GET /admin/crossings/new: an empty form with the
// defaults most crossings share.
func (a *App) showNewCrossing(c echo.Context) error {
	return a.renderCrossingForm(c, http.StatusOK, 0,
		crossingForm{TimeZone: "Asia/Karachi", RecordsFrom: a.now().In(a.cfg.TimeZone).Format(models.DateLayout), Active: true}, nil)
}

// pathID reads the :id of an admin page's path; a malformed one is not
// found, like an id that names nothing.
func pathID(c echo.Context, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q: %w", what, c.Param("id"), models.ErrNotFound)
	}
	return id, nil
}

// crossingParam reads the :id of a crossing's page; a malformed one is not found.
func (a *App) crossingParam(c echo.Context) (models.Crossing, error) {
	id, err := pathID(c, "crossing")
	if err != nil {
		return models.Crossing{}, err
	}
	return models.CrossingByID(c.Request().Context(), a.db, id)
}

// showCrossingForm renders GET /admin/crossings/:id.
func (a *App) showCrossingForm(c echo.Context) error {
	crossing, err := a.crossingParam(c)
	if err != nil {
		return err
	}
	return a.renderCrossingForm(c, http.StatusOK, crossing.ID, crossingFormOf(crossing), nil)
}

// createCrossing handles POST /admin/crossings.
func (a *App) createCrossing(c echo.Context) error {
	return a.saveCrossing(c, models.Crossing{})
}

// updateCrossing handles POST /admin/crossings/:id.
func (a *App) updateCrossing(c echo.Context) error {
	crossing, err := a.crossingParam(c)
	if err != nil {
		return err
	}
	return a.saveCrossing(c, crossing)
}

// saveCrossing creates (stored.ID 0) or updates a crossing from the form.
// The board and crossing pages are cached, so a stored change drops them.
func (a *App) saveCrossing(c echo.Context, stored models.Crossing) error {
	ctx, l := c.Request().Context(), a.locale(c)
	params, err := c.FormParams()
	if err != nil {
		return invalidInput("error.bad_request")
	}
	form, in, errs := parseCrossingForm(params)
	if stored.ID != 0 {
		form.Slug = stored.Slug // the slug never changes
	}
	if len(errs) == 0 {
		if stored.ID == 0 {
			_, err = models.CreateCrossing(ctx, a.db, in, a.actor(c))
		} else {
			_, err = models.UpdateCrossing(ctx, a.db, stored.ID, in, a.actor(c))
		}
		errs = refusals(err)
		if errs == nil && err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.renderCrossingForm(c, http.StatusUnprocessableEntity, stored.ID, form,
			formErrors(l, errs, func(f string) string { return adminFieldLabel(l, f) }))
	}
	a.pages.invalidate()
	a.flash(c, "admin_crossings.saved")
	return c.Redirect(http.StatusSeeOther, "/admin/crossings")
}
