package app

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// userForm is the account form as typed; the password is never sent back.
type userForm struct {
	Username string
	Role     string
	Assigned map[string]bool // crossing slug → ticked
}

// newUserForm reads the account form: username, role and the ticked
// crossing boxes (each named crossing, valued by slug).
func newUserForm(c echo.Context) (userForm, []string, error) {
	params, err := c.FormParams()
	if err != nil {
		return userForm{}, nil, invalidInput("error.bad_request")
	}
	f := userForm{
		Username: strings.TrimSpace(params.Get("username")),
		Role:     params.Get("role"),
		Assigned: map[string]bool{},
	}
	var slugs []string
	for _, slug := range params["crossing"] {
		if !f.Assigned[slug] {
			f.Assigned[slug] = true
			slugs = append(slugs, slug)
		}
	}
	return f, slugs, nil
}

// shownOnce is a secret shown on the page that made it and never again: a
// generated password or an API token.
type shownOnce struct {
	Username string
	Secret   string
}

// userRow is one account in the list.
type userRow struct {
	models.User
	LastSignIn string // "" when none is on record
}

// adminUsersPage lists the accounts beside the form that creates one.
type adminUsersPage struct {
	Users     []userRow
	Crossings []models.Crossing
	Roles     []models.Role
	Form      userForm
	Errors    map[string]string
	Created   *shownOnce
	Flash     string
}

// roles lists the roles in the order the forms offer them.
var roles = []models.Role{models.RoleOfficer, models.RoleSupervisor, models.RoleAdmin}

// renderUsersPage renders the list with form and errors as given.
func (a *App) renderUsersPage(c echo.Context, status int, page adminUsersPage) error {
	ctx, l := c.Request().Context(), a.locale(c)
	users, err := models.Users(ctx, a.db)
	if err != nil {
		return err
	}
	signIns, err := models.LastSignIns(ctx, a.db)
	if err != nil {
		return err
	}
	for _, u := range users {
		row := userRow{User: u}
		if t, ok := signIns[u.Username]; ok {
			row.LastSignIn = l.DateTime(t, a.cfg.TimeZone)
		}
		page.Users = append(page.Users, row)
	}
	if page.Crossings, err = models.ActiveCrossings(ctx, a.db); err != nil {
		return err
	}
	page.Roles = roles
	if page.Form.Assigned == nil {
		page.Form = userForm{Role: string(models.RoleOfficer), Assigned: map[string]bool{}}
	}
	return a.render(c, status, "admin_users", l.T("admin_users.title"), page)
}

// showUsers renders GET /admin/users.
func (a *App) showUsers(c echo.Context) error {
	return a.renderUsersPage(c, http.StatusOK, adminUsersPage{Flash: a.popFlash(c)})
}

// checkAccess checks a role and crossings as the account rules do, with a
// message per field.
func checkAccess(l *Locale, role string, slugs []string, errs map[string]string) models.Role {
	r, err := models.ParseRole(role)
	if err != nil {
		errs["role"] = l.T("admin_users.role_rule")
	} else if r != models.RoleAdmin && len(slugs) == 0 {
		errs["crossings"] = l.T("admin_users.crossings_required")
	}
	return r
}

// createUser handles POST /admin/users: the account is created with the
// password given, or a generated one shown on this page only.
func (a *App) createUser(c echo.Context) error {
	ctx, l := c.Request().Context(), a.locale(c)
	form, slugs, err := newUserForm(c)
	if err != nil {
		return err
	}
	errs := map[string]string{}
	if !models.ValidUsername(form.Username) {
		errs["username"] = l.T("admin_users.username_rule")
	}
	role := checkAccess(l, form.Role, slugs, errs)
	password, generated := c.FormValue("password"), false
	if password == "" {
		password, generated = models.GeneratePassword(), true
	} else if msg, ok := passwordRuleMessage(l, models.ValidatePassword(form.Username, password)); ok {
		errs["password"] = msg
	}
	if len(errs) == 0 {
		_, err = models.CreateUser(ctx, a.db, models.NewUser{Username: form.Username, Password: password,
			Role: role, CrossingSlugs: slugs}, a.actor(c))
		switch {
		case errors.Is(err, models.ErrDuplicate):
			errs["username"] = l.T("admin_users.duplicate")
		case errors.Is(err, models.ErrNotFound):
			errs["crossings"] = l.T("admin_users.unknown_crossing")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return a.renderUsersPage(c, http.StatusUnprocessableEntity, adminUsersPage{Form: form, Errors: errs})
	}
	a.log.Info("account created", "user", form.Username, "role", role, "by", currentUser(c).Username, "request_id", requestID(c))
	created := &shownOnce{Username: form.Username}
	if generated {
		created.Secret = password
	}
	return a.renderUsersPage(c, http.StatusCreated, adminUsersPage{Created: created})
}

// adminUserEditPage is one account's page: role and crossings, disabling,
// and resetting the password.
type adminUserEditPage struct {
	User      models.User
	Crossings []models.Crossing
	Roles     []models.Role
	Form      userForm
	Errors    map[string]string
	Reset     *shownOnce
	Flash     string
	IsSelf    bool
}

// userParam reads the :id of an account page; a malformed one is not found.
func (a *App) userParam(c echo.Context) (models.User, error) {
	id, err := pathID(c, "user")
	if err != nil {
		return models.User{}, err
	}
	return models.UserByID(c.Request().Context(), a.db, id)
}

// renderUserEdit renders an account's page; a nil form shows what is stored.
func (a *App) renderUserEdit(c echo.Context, status int, user models.User, page adminUserEditPage) error {
	l := a.locale(c)
	var err error
	if page.Crossings, err = models.ActiveCrossings(c.Request().Context(), a.db); err != nil {
		return err
	}
	page.User, page.Roles = user, roles
	page.IsSelf = currentUser(c).ID == user.ID
	if page.Form.Assigned == nil {
		page.Form = userForm{Username: user.Username, Role: string(user.Role), Assigned: map[string]bool{}}
		for _, c := range user.Crossings {
			page.Form.Assigned[c.Slug] = true
		}
	}
	return a.render(c, status, "admin_user_edit", l.T("admin_users.edit_title", "User", user.Username), page)
}

// userEditPath is the address of an account's page.
func userEditPath(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

// showUser renders GET /admin/users/:id.
func (a *App) showUser(c echo.Context) error {
	user, err := a.userParam(c)
	if err != nil {
		return err
	}
	return a.renderUserEdit(c, http.StatusOK, user, adminUserEditPage{Flash: a.popFlash(c)})
}

// updateUser handles POST /admin/users/:id: the role and crossings.
func (a *App) updateUser(c echo.Context) error {
	l := a.locale(c)
	user, err := a.userParam(c)
	if err != nil {
		return err
	}
	form, slugs, err := newUserForm(c)
	if err != nil {
		return err
	}
	form.Username = user.Username
	errs := map[string]string{}
	role := checkAccess(l, form.Role, slugs, errs)
	if len(errs) == 0 {
		_, err = models.UpdateUserAccess(c.Request().Context(), a.db, user.ID,
			models.UserAccess{Role: role, CrossingSlugs: slugs}, a.actor(c))
		switch {
		case errors.Is(err, models.ErrOwnAccount):
			errs["role"] = l.T("admin_users.own_account")
		case errors.Is(err, models.ErrNotFound):
			errs["crossings"] = l.T("admin_users.unknown_crossing")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return a.renderUserEdit(c, http.StatusUnprocessableEntity, user, adminUserEditPage{Form: form, Errors: errs})
	}
	a.flash(c, "admin_users.saved")
	return c.Redirect(http.StatusSeeOther, userEditPath(user.ID))
}

// setUserDisabled handles POST /admin/users/:id/disable and …/enable.
// Disabling ends every session of the account at once.
func (a *App) setUserDisabled(disabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		user, err := a.userParam(c)
		if err != nil {
			return err
		}
		changed, err := models.SetUserDisabled(c.Request().Context(), a.db, user.ID, disabled, a.actor(c))
		if errors.Is(err, models.ErrOwnAccount) {
			l := a.locale(c)
			return a.renderUserEdit(c, http.StatusUnprocessableEntity, user,
				adminUserEditPage{Errors: map[string]string{"disabled": l.T("admin_users.own_account")}})
		}
		if err != nil {
			return err
		}
		a.log.Info("account disabled or enabled", "user", changed.Username, "disabled", disabled,
			"by", currentUser(c).Username, "request_id", requestID(c))
		key := "admin_users.enabled"
		if disabled {
			key = "admin_users.disabled_done"
		}
		a.flash(c, key)
		return c.Redirect(http.StatusSeeOther, userEditPath(user.ID))
	}
}

// resetPassword handles POST /admin/users/:id/password: a new generated
// password, shown on this page only, and every session of the account ended.
func (a *App) resetPassword(c echo.Context) error {
	user, err := a.userParam(c)
	if err != nil {
		return err
	}
	if user.ID == currentUser(c).ID {
		// Resetting would end this very session; the own password is changed
		// on its own page, which asks for the current one.
		return c.Redirect(http.StatusSeeOther, "/account/password")
	}
	password := models.GeneratePassword()
	user, err = models.ResetPassword(c.Request().Context(), a.db, user.ID, password, a.actor(c), a.now())
	if err != nil {
		return err
	}
	a.log.Info("password reset", "user", user.Username, "by", currentUser(c).Username, "request_id", requestID(c))
	return a.renderUserEdit(c, http.StatusOK, user, adminUserEditPage{Reset: &shownOnce{Username: user.Username, Secret: password}})
}
