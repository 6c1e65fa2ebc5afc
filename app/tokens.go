package app

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// tokenRow is one API token in the list, with its times formatted.
type tokenRow struct {
	models.APITokenListing
	Created  string
	LastUsed string // "" when never used
	Revoked  string // "" while live
}

// adminTokensPage lists the API tokens beside the form that creates one.
type adminTokensPage struct {
	Tokens  []tokenRow
	Users   []models.User // the active accounts a token may act for
	User    string        // the form's chosen user name
	Name    string        // the form's token name
	Errors  map[string]string
	Created *shownOnce
	Flash   string
}

// renderTokensPage renders the list with the form as given.
func (a *App) renderTokensPage(c echo.Context, status int, page adminTokensPage) error {
	ctx, l := c.Request().Context(), a.locale(c)
	tokens, err := models.APITokens(ctx, a.db)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		row := tokenRow{APITokenListing: t, Created: l.DateTime(t.CreatedAt, a.cfg.TimeZone)}
		if t.LastUsedAt != nil {
			row.LastUsed = l.DateTime(*t.LastUsedAt, a.cfg.TimeZone)
		}
		if t.RevokedAt != nil {
			row.Revoked = l.DateTime(*t.RevokedAt, a.cfg.TimeZone)
		}
		page.Tokens = append(page.Tokens, row)
	}
	users, err := models.Users(ctx, a.db)
	if err != nil {
		return err
	}
	for _, u := range users {
		if !u.Disabled {
			page.Users = append(page.Users, u)
		}
	}
	return a.render(c, status, "admin_tokens", l.T("tokens.title"), page)
}

// showTokens renders GET /admin/tokens.
func (a *App) showTokens(c echo.Context) error {
	return a.renderTokensPage(c, http.StatusOK, adminTokensPage{Flash: a.popFlash(c)})
}

// createToken handles POST /admin/tokens: the new token is shown on this
// page only; the database keeps its hash.
func (a *App) createToken(c echo.Context) error {
	l := a.locale(c)
	page := adminTokensPage{User: c.FormValue("user"), Name: strings.TrimSpace(c.FormValue("name")), Errors: map[string]string{}}
	token, record, err := models.CreateAPIToken(c.Request().Context(), a.db, page.User, page.Name, a.actor(c))
	switch {
	case errors.Is(err, models.ErrNotFound):
		page.Errors["user"] = l.T("tokens.unknown_user")
	case errors.Is(err, models.ErrAccountDisabled):
		page.Errors["user"] = l.T("tokens.disabled_user")
	case errors.Is(err, models.ErrTokenName):
		page.Errors["name"] = l.T("tokens.name_rule", "Max", models.MaxTokenName)
	case err != nil:
		return err
	}
	if len(page.Errors) > 0 {
		return a.renderTokensPage(c, http.StatusUnprocessableEntity, page)
	}
	a.log.Info("API token created", "token_id", record.ID, "user", page.User, "by", currentUser(c).Username,
		"request_id", requestID(c))
	return a.renderTokensPage(c, http.StatusCreated, adminTokensPage{Created: &shownOnce{Username: page.User, Secret: token}})
}

// revokeToken handles POST /admin/tokens/:id/revoke.
func (a *App) revokeToken(c echo.Context) error {
	id, err := pathID(c, "API token")
	if err != nil {
		return err
	}
	if err := models.RevokeAPIToken(c.Request().Context(), a.db, id, a.actor(c), a.now()); err != nil {
		return err
	}
	a.log.Info("API token revoked", "token_id", id, "by", currentUser(c).Username, "request_id", requestID(c))
	a.flash(c, "tokens.revoked")
	return c.Redirect(http.StatusSeeOther, "/admin/tokens")
}
