package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// apiError is the JSON error shape of the API (a contract).
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// handleError is the one place errors become responses: the JSON error
// shape under /api/, an HTML page elsewhere. The user gets a short message;
// the log gets the whole error with the request ID.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var re *requestError
	if errors.As(err, &re) {
		a.writeRequestError(c, re)
		return
	}
	status, key := http.StatusInternalServerError, "error.internal"
	var args []any
	var back, backKey string
	var he *echo.HTTPError
	var ue *userError
	switch {
	case errors.As(err, &ue):
		status, key, args, back, backKey = ue.status, ue.key, ue.args, ue.back, ue.backKey
	case errors.Is(err, models.ErrNotFound):
		status, key = http.StatusNotFound, "error.not_found"
	case errors.Is(err, context.DeadlineExceeded):
		status, key = http.StatusServiceUnavailable, "error.unavailable"
	case models.Unreachable(err):
		// PostgreSQL is down or restarting: a prompt 503 that a client or
		// a proxy may retry, not a 500.
		status, key = http.StatusServiceUnavailable, "error.database_unavailable"
		c.Response().Header().Set("Retry-After", "5")
	case errors.As(err, &he):
		status = he.Code
		key = map[int]string{
			http.StatusNotFound:              "error.not_found",
			http.StatusMethodNotAllowed:      "error.method_not_allowed",
			http.StatusRequestEntityTooLarge: "error.too_large",
			http.StatusServiceUnavailable:    "error.unavailable",
		}[status]
		if key == "" && status < 500 {
			key = "error.bad_request"
		} else if key == "" {
			key = "error.internal"
		}
	}
	if status >= 500 {
		a.log.Error("request failed", "request_id", requestID(c), "path", c.Request().URL.Path, "err", err)
	}
	l := a.locale(c)
	message := l.T(key, append(args, "RequestID", requestID(c))...)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		_ = c.JSON(status, apiError{Error: apiErrorBody{Code: errorCode(status), Message: message}})
		return
	}
	page := errorPage{Message: message, Back: back}
	if backKey != "" {
		page.BackText = l.T(backKey)
	}
	if rerr := a.render(c, status, "error", l.T("error.title"), page); rerr != nil {
		a.log.Error("render error page", "request_id", requestID(c), "err", rerr)
		_ = c.String(status, message)
	}
}

// userError is a mistake in a page request, told to the reader in their
// language: key is the message, args its name, value pairs.
type userError struct {
	status int
	key    string
	args   []any
	// back, when set, is the page to go back to, named by backKey.
	back, backKey string
}

// errorPage is what the error page shows: the message and a link back.
type errorPage struct {
	Message        string
	Back, BackText string
}

func (e *userError) Error() string { return fmt.Sprintf("%s %v", e.key, e.args) }

// invalidInput answers 400 with the message key.
func invalidInput(key string, args ...any) error {
	return &userError{status: http.StatusBadRequest, key: key, args: args}
}
