package app

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// categoryForm is the cargo category form as typed, sent back on an error.
type categoryForm struct {
	Code, Name, UsualDirection                string
	Loaded, Perishable, Humanitarian          bool
	ValuePerTruck, HoldingCost, ShelfLifeDays string
	SpoilageRate, Source, SortOrder           string
}

// money formats an amount of dollars as typed: no exponent, no trailing zeros.
func money(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// categoryFormOf is the form showing a stored category.
func categoryFormOf(c models.CargoCategory) categoryForm {
	f := categoryForm{Code: c.Code, Name: c.Name, UsualDirection: c.UsualDirection, Loaded: c.Loaded,
		Perishable: c.Perishable, Humanitarian: c.Humanitarian, ValuePerTruck: money(c.ValuePerTruckUSD),
		HoldingCost: money(c.HoldingCostUSDPerDay), SpoilageRate: money(c.DailySpoilageRate),
		Source: c.AssumptionSource, SortOrder: strconv.Itoa(c.SortOrder)}
	if c.ShelfLifeDays != nil {
		f.ShelfLifeDays = strconv.Itoa(*c.ShelfLifeDays)
	}
	return f
}

// parseCategoryForm reads the category form; numbers that cannot be read
// come back as refusals, the rest is for the models' rules.
func parseCategoryForm(params url.Values) (categoryForm, models.CategoryInput, []models.FieldError) {
	f := categoryForm{Code: params.Get("code"), Name: params.Get("name"), UsualDirection: params.Get("usual_direction"),
		Loaded: params.Get("loaded") != "", Perishable: params.Get("perishable") != "", Humanitarian: params.Get("humanitarian") != "",
		ValuePerTruck: params.Get("value_per_truck_usd"), HoldingCost: params.Get("holding_cost_usd_per_day"),
		ShelfLifeDays: params.Get("shelf_life_days"), SpoilageRate: params.Get("daily_spoilage_rate"),
		Source: params.Get("assumption_source"), SortOrder: params.Get("sort_order")}
	in := models.CategoryInput{Code: f.Code, Name: f.Name, UsualDirection: f.UsualDirection, Loaded: f.Loaded,
		Perishable: f.Perishable, Humanitarian: f.Humanitarian, AssumptionSource: f.Source}
	var errs []models.FieldError
	in.ValuePerTruckUSD = formDecimal(&errs, "value_per_truck_usd", f.ValuePerTruck, true)
	in.HoldingCostUSDPerDay = formDecimal(&errs, "holding_cost_usd_per_day", f.HoldingCost, true)
	in.DailySpoilageRate = formDecimal(&errs, "daily_spoilage_rate", f.SpoilageRate, false)
	if strings.TrimSpace(f.ShelfLifeDays) != "" {
		days := formWhole(&errs, "shelf_life_days", f.ShelfLifeDays)
		in.ShelfLifeDays = &days
	}
	in.SortOrder = formWhole(&errs, "sort_order", f.SortOrder)
	return f, in, errs
}

// adminCategoriesPage lists the cargo categories with their assumptions.
type adminCategoriesPage struct {
	Categories []categoryRow
	Flash      string
}

// categoryRow is a category with its assumptions written for the reader.
type categoryRow struct {
	models.CargoCategory
	Direction, Value, Holding, ShelfLife, Spoilage string
}

// usualDirectionLabel names a category's usual direction.
func usualDirectionLabel(l *Locale, d string) string {
	if d == "both" {
		return l.T("admin_categories.both")
	}
	return l.T("direction." + d)
}

// showCategories renders GET /admin/categories.
func (a *App) showCategories(c echo.Context) error {
	categories, err := models.CargoCategories(c.Request().Context(), a.db)
	if err != nil {
		return err
	}
	l := a.locale(c)
	p := adminCategoriesPage{Flash: a.popFlash(c)}
	for _, cat := range categories {
		row := categoryRow{CargoCategory: cat, Direction: usualDirectionLabel(l, cat.UsualDirection),
			Value: l.T("unit.usd", "Value", money(cat.ValuePerTruckUSD)), Holding: l.T("unit.usd", "Value", money(cat.HoldingCostUSDPerDay)),
			ShelfLife: "–", Spoilage: strconv.FormatFloat(math.Round(cat.DailySpoilageRate*100_000)/1000, 'f', -1, 64) + " %"}
		if cat.ShelfLifeDays != nil {
			row.ShelfLife = l.N("duration.days", *cat.ShelfLifeDays)
		}
		p.Categories = append(p.Categories, row)
	}
	return a.render(c, http.StatusOK, "admin_categories", l.T("admin_categories.title"), p)
}

// categoryPath is the address of a category's edit page.
func categoryPath(id int64) string { return "/admin/categories/" + strconv.FormatInt(id, 10) }

// renderCategoryForm renders the form that adds a category (id 0) or edits one.
func (a *App) renderCategoryForm(c echo.Context, status int, id int64, f categoryForm, errs map[string]string) error {
	l := a.locale(c)
	field := func(name, value, hint string) formField {
		ff := newField(l, errs, name, value)
		if hint != "" {
			ff.Hint = l.T(hint)
		}
		return ff
	}
	check := func(name string, checked bool, hint string) formField {
		ff := field(name, "", hint)
		ff.Kind, ff.Checked = "checkbox", checked
		return ff
	}
	code := field("code", f.Code, "admin_categories.code_hint")
	code.Required = true
	name := field("name", f.Name, "")
	name.Required = true
	direction := field("usual_direction", f.UsualDirection, "")
	direction.Kind = "select"
	for _, d := range models.UsualDirections {
		direction.Options = append(direction.Options, formOption{Value: d, Label: usualDirectionLabel(l, d)})
	}
	value := field("value_per_truck_usd", f.ValuePerTruck, "admin_categories.value_hint")
	holding := field("holding_cost_usd_per_day", f.HoldingCost, "admin_categories.holding_hint")
	shelf := field("shelf_life_days", f.ShelfLifeDays, "admin_categories.shelf_life_hint")
	spoilage := field("daily_spoilage_rate", f.SpoilageRate, "admin_categories.spoilage_hint")
	value.Mode, holding.Mode, shelf.Mode, spoilage.Mode = "decimal", "decimal", "numeric", "decimal"
	value.Required, holding.Required = true, true
	source := field("assumption_source", f.Source, "admin_categories.source_hint")
	source.Kind = "textarea"
	order := field("sort_order", f.SortOrder, "admin.sort_order_hint")
	order.Mode = "numeric"
	p := adminFormPage{Back: "/admin/categories", BackLabel: l.T("admin_categories.title"), Action: "/admin/categories",
		Submit: l.T("admin_categories.add"), Errors: errs}
	title := l.T("admin_categories.new_title")
	if id != 0 {
		code.Kind, code.Hint = "fixed", ""
		p.Action, p.Submit = categoryPath(id), l.T("admin.save")
		title = l.T("admin_categories.edit_title", "Category", f.Code)
	}
	p.Fields = []formField{code, name, direction, check("loaded", f.Loaded, "admin_categories.loaded_hint"),
		check("perishable", f.Perishable, ""), check("humanitarian", f.Humanitarian, "admin_categories.humanitarian_hint"),
		value, holding, shelf, spoilage, source, order}
	return a.render(c, status, "admin_form", title, p)
}

// showNewCategory renders GET /admin/categories/new.
func (a *App) showNewCategory(c echo.Context) error {
	return a.renderCategoryForm(c, http.StatusOK, 0, categoryForm{UsualDirection: "both", Loaded: true}, nil)
}

// categoryParam reads the :id of a category's page; a malformed one is not found.
func (a *App) categoryParam(c echo.Context) (models.CargoCategory, error) {
	id, err := pathID(c, "cargo category")
	if err != nil {
		return models.CargoCategory{}, err
	}
	return models.CargoCategoryByID(c.Request().Context(), a.db, id)
}

// showCategoryForm renders GET /admin/categories/:id.
func (a *App) showCategoryForm(c echo.Context) error {
	category, err := a.categoryParam(c)
	if err != nil {
		return err
	}
	return a.renderCategoryForm(c, http.StatusOK, category.ID, categoryFormOf(category), nil)
}

// createCategory handles POST /admin/categories.
func (a *App) createCategory(c echo.Context) error { return a.saveCategory(c, models.CargoCategory{}) }

// updateCategory handles POST /admin/categories/:id.
func (a *App) updateCategory(c echo.Context) error {
	category, err := a.categoryParam(c)
	if err != nil {
		return err
	}
	return a.saveCategory(c, category)
}

// saveCategory creates (stored.ID 0) or updates a category from the form.
// Category names show on the public pages, so a stored change drops their cache.
func (a *App) saveCategory(c echo.Context, stored models.CargoCategory) error {
	l := a.locale(c)
	params, err := c.FormParams()
	if err != nil {
		return invalidInput("error.bad_request")
	}
	form, in, errs := parseCategoryForm(params)
	if stored.ID != 0 {
		form.Code = stored.Code // the code never changes
	}
	if len(errs) == 0 {
		_, err = models.SaveCargoCategory(c.Request().Context(), a.db, stored.ID, in, a.actor(c), a.now())
		errs = refusals(err)
		if errs == nil && err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.renderCategoryForm(c, http.StatusUnprocessableEntity, stored.ID, form,
			formErrors(l, errs, func(f string) string { return adminFieldLabel(l, f) }))
	}
	a.pages.invalidate()
	a.recomputeCosts(c)
	a.flash(c, "admin_categories.saved")
	return c.Redirect(http.StatusSeeOther, "/admin/categories")
}
