package app

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// languageCookie keeps the language a reader chose from the menu.
const languageCookie = "lang"

// menuLanguage is one entry of the language menu, named in its own language.
type menuLanguage struct {
	Tag, Name string
	Current   bool
}

// Languages lists every language the site speaks, for the menu.
func (l *Locale) Languages() []menuLanguage {
	list := make([]menuLanguage, 0, len(l.all))
	for _, tag := range l.all {
		list = append(list, menuLanguage{Tag: tag, Name: l.T("language." + tag), Current: tag == l.Lang()})
	}
	return list
}

// locale chooses the request's language: the reader's choice from the
// menu (a cookie, which a staff user's sign-in sets from their profile),
// then ?lang=, then Accept-Language; English when nothing matches.
func (a *App) locale(c echo.Context) *Locale {
	chosen := ""
	if cookie, err := c.Cookie(languageCookie); err == nil {
		chosen = cookie.Value
	}
	return a.translator.Locale(chosen, c.QueryParam("lang"), c.Request().Header.Get("Accept-Language"))
}

// setLanguageCookie remembers lang in the browser for a year.
func (a *App) setLanguageCookie(c echo.Context, lang string) {
	c.SetCookie(&http.Cookie{Name: languageCookie, Value: lang, Path: "/", MaxAge: int(365 * 24 * time.Hour / time.Second),
		HttpOnly: true, Secure: a.servedOverTLS(), SameSite: http.SameSiteLaxMode})
}

// chooseLanguage answers POST /lang from the menu on every page: it keeps
// the choice in a cookie and, for a signed-in user, in their profile, then
// goes back to the page. The public pages carry no CSRF token (they are
// cached and cookie-free), so a request from another site is refused by
// its Origin or Sec-Fetch-Site instead.
func (a *App) chooseLanguage(c echo.Context) error {
	if !postedFromThisSite(c.Request()) {
		return echo.NewHTTPError(http.StatusForbidden, "cross-site")
	}
	lang := c.FormValue("lang")
	if !a.translator.Speaks(lang) {
		return invalidInput("error.bad_language", "Value", lang)
	}
	a.setLanguageCookie(c, lang)
	if u := currentUser(c); u != nil {
		if err := models.SetUserLocale(c.Request().Context(), a.db, u.ID, lang); err != nil {
			return err
		}
	}
	next := c.FormValue("page")
	if safeNext(next) != next {
		next = "/"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// postedFromThisSite reports whether a form post comes from this site's own pages:
// by Sec-Fetch-Site where the browser sends it, else by Origin; a browser
// that sends neither (an old one) is believed.
func postedFromThisSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
