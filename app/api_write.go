package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"borderflow/models"
)

// maxAPIFigures bounds the figures of one request: a day has one figure
// per direction, category and regime, a few dozen with the categories of
// today; administrators may add more, but not hundreds.
const maxAPIFigures = 500

// headerIdempotencyKey names the header a client sends to make a write
// safe to retry; headerReplayed marks an answer replayed from it.
const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
)

// figuresBody is the body of POST /api/v1/crossings/{slug}/figures, read
// and typed but not yet checked against the rules.
type figuresBody struct {
	Date               models.Date
	BaseVersion        *int // nil: replace the figures given whatever the day's version
	EditReason         string
	ConfirmImplausible bool
	Figures            []models.FigureInput
}

// statusBody is the body of POST /api/v1/crossings/{slug}/status, read.
type statusBody struct {
	State       models.State
	Scope       *models.Scope
	Reason      *models.Reason
	Note        string
	EffectiveAt time.Time // zero: now
}

// bodyProblem is why a request body cannot be used: the message key of a
// problem with the body as a whole (api.<key>), or one problem per field.
type bodyProblem struct {
	key    string
	args   []any
	fields []models.FieldError
}

func (p *bodyProblem) Error() string {
	if p.key != "" {
		return p.key
	}
	return fmt.Sprintf("%d fields cannot be read", len(p.fields))
}

// jsonObject reads the fields of one JSON object one by one, recording a
// problem for each field that is missing, of the wrong type or unknown.
// Unknown fields are refused (with their path, which a decoder with
// DisallowUnknownFields cannot give), so that a misspelt optional field is
// never silently ignored.
type jsonObject struct {
	path     string // the object's path in the body ("" for the body, "figures[2]")
	fields   map[string]json.RawMessage
	problems *[]models.FieldError
}

// newJSONObject reads raw as an object at path; false (with the problem
// recorded) when it is something else.
func newJSONObject(raw json.RawMessage, path string, known []string, problems *[]models.FieldError) (jsonObject, bool) {
	o := jsonObject{path: path, problems: problems}
	if err := json.Unmarshal(raw, &o.fields); err != nil || o.fields == nil {
		o.add("", "json_not_object")
		return o, false
	}
	for _, name := range slices.Sorted(maps.Keys(o.fields)) {
		if !slices.Contains(known, name) {
			o.add(name, "json_unknown_field")
		}
	}
	return o, true
}

// field is the path of one of the object's fields.
func (o jsonObject) field(name string) string {
	switch {
	case name == "":
		if o.path == "" {
			return "body"
		}
		return o.path
	case o.path == "":
		return name
	}
	return o.path + "." + name
}

func (o jsonObject) add(name, code string, params ...any) {
	fe := models.FieldError{Field: o.field(name), Code: code}
	if len(params) > 0 {
		fe.Params = map[string]any{}
		for i := 0; i+1 < len(params); i += 2 {
			fe.Params[fmt.Sprint(params[i])] = params[i+1]
		}
	}
	*o.problems = append(*o.problems, fe)
}

// value is a field's raw value; absent and null are the same.
func (o jsonObject) value(name string, required bool) (json.RawMessage, bool) {
	raw, ok := o.fields[name]
	if !ok || string(raw) == "null" {
		if required {
			o.add(name, "required")
		}
		return nil, false
	}
	return raw, true
}

func (o jsonObject) str(name string, required bool) (string, bool) {
	raw, ok := o.value(name, required)
	if !ok {
		return "", false
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		o.add(name, "json_not_string")
		return "", false
	}
	return s, true
}

// integer reads a whole number written as one (90, not 90.0, "90" or
// 9e1) of at most limit; a negative one is left for the rules to refuse.
func (o jsonObject) integer(name string, required bool, limit int) (int, bool) {
	raw, ok := o.value(name, required)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && raw[0] == '-':
		return -1, true
	case errors.Is(err, strconv.ErrRange) || err == nil && n > int64(limit):
		o.add(name, "too_large", "Max", limit)
		return 0, false
	case err != nil:
		o.add(name, "json_not_integer")
		return 0, false
	}
	return int(max(n, -1)), true
}

func (o jsonObject) number(name string) *float64 {
	raw, ok := o.value(name, false)
	if !ok {
		return nil
	}
	var v float64
	if c := raw[0]; c != '-' && (c < '0' || c > '9') || json.Unmarshal(raw, &v) != nil {
		o.add(name, "json_not_number")
		return nil
	}
	return &v
}

func (o jsonObject) boolean(name string) bool {
	raw, ok := o.value(name, false)
	if !ok {
		return false
	}
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		o.add(name, "json_not_bool")
	}
	return b
}

func (o jsonObject) list(name string, required bool) []json.RawMessage {
	raw, ok := o.value(name, required)
	if !ok {
		return nil
	}
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		o.add(name, "json_not_list")
		return nil
	}
	return items
}

// readBodyObject reads a body that must be one JSON object.
func readBodyObject(body []byte, known []string, problems *[]models.FieldError) (jsonObject, *bodyProblem) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &syntax):
			return jsonObject{}, &bodyProblem{key: "api.bad_json", args: []any{"Offset", syntax.Offset}}
		case errors.Is(err, io.ErrUnexpectedEOF):
			return jsonObject{}, &bodyProblem{key: "api.bad_json", args: []any{"Offset", len(body)}}
		}
		return jsonObject{}, &bodyProblem{key: "api.not_object"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return jsonObject{}, &bodyProblem{key: "api.trailing_data"}
	}
	if len(raw) == 0 || raw[0] != '{' {
		return jsonObject{}, &bodyProblem{key: "api.not_object"}
	}
	o, _ := newJSONObject(raw, "", known, problems)
	return o, nil
}

// decodeFiguresBody reads a figures body, collecting every problem of
// shape (unknown fields, wrong types, a missing date) at once.
func decodeFiguresBody(body []byte) (figuresBody, *bodyProblem) {
	var problems []models.FieldError
	o, bad := readBodyObject(body, []string{"date", "figures", "base_version", "edit_reason", "confirm_implausible"}, &problems)
	if bad != nil {
		return figuresBody{}, bad
	}
	var in figuresBody
	if s, ok := o.str("date", true); ok {
		d, err := models.ParseDate(s)
		if err != nil {
			o.add("date", "date_format", "Value", s)
		}
		in.Date = d
	}
	if v, ok := o.integer("base_version", false, 1<<30); ok {
		in.BaseVersion = &v
	}
	in.EditReason, _ = o.str("edit_reason", false)
	in.ConfirmImplausible = o.boolean("confirm_implausible")
	items := o.list("figures", true)
	if _, given := o.value("figures", false); given && items != nil && len(items) == 0 {
		o.add("figures", "required")
	}
	if len(items) > maxAPIFigures {
		o.add("figures", "too_large", "Max", maxAPIFigures)
		items = nil
	}
	for i, raw := range items {
		path := fmt.Sprintf("figures[%d]", i)
		f, ok := newJSONObject(raw, path, []string{"direction", "category", "regime", "trucks", "tonnes", "value_usd"}, &problems)
		if !ok {
			continue
		}
		fig := models.FigureInput{Field: path}
		if s, ok := f.str("direction", true); ok {
			fig.Direction = models.Direction(s)
		}
		fig.Category, _ = f.str("category", true)
		if s, ok := f.str("regime", false); ok {
			fig.Regime = models.Regime(s)
		}
		fig.Trucks, _ = f.integer("trucks", true, models.MaxTrucksPerFigure)
		fig.Tonnes, fig.ValueUSD = f.number("tonnes"), f.number("value_usd")
		in.Figures = append(in.Figures, fig)
	}
	if len(problems) > 0 {
		return figuresBody{}, &bodyProblem{fields: problems}
	}
	return in, nil
}

// decodeStatusBody reads a status body, collecting every problem of shape.
func decodeStatusBody(body []byte) (statusBody, *bodyProblem) {
	var problems []models.FieldError
	o, bad := readBodyObject(body, []string{"state", "scope", "reason", "note", "effective_at"}, &problems)
	if bad != nil {
		return statusBody{}, bad
	}
	var in statusBody
	if s, ok := o.str("state", true); ok {
		in.State = models.State(s)
	}
	if s, ok := o.str("scope", false); ok {
		scope := models.Scope(s)
		in.Scope = &scope
	}
	if s, ok := o.str("reason", false); ok {
		reason := models.Reason(s)
		in.Reason = &reason
	}
	in.Note, _ = o.str("note", false)
	if s, ok := o.str("effective_at", false); ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			o.add("effective_at", "instant_format", "Value", s)
		}
		in.EffectiveAt = t
	}
	if len(problems) > 0 {
		return statusBody{}, &bodyProblem{fields: problems}
	}
	return in, nil
}

// apiDay is a crossing-day as the API answers a write of its figures: its
// version (to send as base_version), whether it is verified, and every
// figure stored for it.
type apiDay struct {
	Crossing  string      `json:"crossing"`
	Date      models.Date `json:"date"`
	Version   int         `json:"version"`
	Verified  bool        `json:"verified"`
	UpdatedAt *instant    `json:"updated_at"`
	Unit      string      `json:"unit"`
	Figures   []apiFigure `json:"figures"`
}

func newAPIDay(crossing models.Crossing, day models.CrossingDay, rows []models.FigureRow) apiDay {
	out := apiDay{Crossing: crossing.Slug, Date: day.Day, Version: day.Version, Verified: day.Verified(),
		Unit: unitLoadedTrucks, Figures: make([]apiFigure, len(rows))}
	if !day.UpdatedAt.IsZero() {
		t := instant(day.UpdatedAt)
		out.UpdatedAt = &t
	}
	for i, r := range rows {
		out.Figures[i] = apiFigure{Date: r.Day, Direction: string(r.Direction), Category: r.CategoryCode, Loaded: r.Loaded,
			Regime: string(r.Regime), Trucks: r.Trucks, Tonnes: r.Tonnes, ValueUSD: r.ValueUSD, Verified: r.Verified}
	}
	return out
}

// apiStoredStatus is a status change as the API answers its write.
type apiStoredStatus struct {
	Crossing string `json:"crossing"`
	apiStatus
}

// apiWriteFigures answers POST /api/v1/crossings/{slug}/figures: the
// figures given replace those stored for the same direction, category and
// regime on that day; the others stay. The answer is the stored day.
func (a *App) apiWriteFigures(c echo.Context) error {
	ctx, l, u := c.Request().Context(), a.locale(c), currentUser(c)
	body, crossing, err := a.apiWriteRequest(c)
	if err != nil {
		return err
	}
	in, problem := decodeFiguresBody(body)
	if problem != nil {
		return a.bodyError(l, problem)
	}
	if in.ConfirmImplausible && !supervises(u) {
		_ = a.denyAccess(c, "confirm_implausible")
		return &requestError{status: http.StatusForbidden, message: l.T("api.forbidden_confirm")}
	}
	rules, err := models.LoadFigureRules(ctx, a.db, crossing, a.now())
	if err != nil {
		return err
	}
	day := models.DayInput{CrossingID: crossing.ID, Day: in.Date, Figures: in.Figures, ConfirmImplausible: in.ConfirmImplausible,
		EditReason: in.EditReason, Source: "api", AnyVersion: in.BaseVersion == nil}
	if in.BaseVersion != nil {
		day.BaseVersion = *in.BaseVersion
	}
	return a.apiWrite(c, crossing, body, func(tx *gorm.DB) (int, []byte, error) {
		if _, err := models.SaveDay(ctx, tx, a.actor(c), rules, day); err != nil {
			return 0, nil, err
		}
		stored, rows, err := models.DayFigures(ctx, tx, crossing.ID, in.Date)
		if err != nil {
			return 0, nil, err
		}
		return jsonAnswer(http.StatusOK, newAPIDay(crossing, stored, rows))
	})
}

// apiWriteStatus answers POST /api/v1/crossings/{slug}/status: 201 with the
// change recorded, or 200 with the change in effect when it already says
// the same (a resend), which is then not recorded twice.
func (a *App) apiWriteStatus(c echo.Context) error {
	ctx, l, u := c.Request().Context(), a.locale(c), currentUser(c)
	body, crossing, err := a.apiWriteRequest(c)
	if err != nil {
		return err
	}
	in, problem := decodeStatusBody(body)
	if problem != nil {
		return a.bodyError(l, problem)
	}
	now := a.now()
	change := models.StatusInput{CrossingID: crossing.ID, State: in.State, Scope: in.Scope, Reason: in.Reason, Note: in.Note,
		EffectiveAt: in.EffectiveAt, AllowOldBackdate: supervises(u), Source: "api"}
	return a.apiWrite(c, crossing, body, func(tx *gorm.DB) (int, []byte, error) {
		stored, err := models.RecordStatusChange(ctx, tx, a.actor(c), change, now)
		if err != nil {
			return 0, nil, err
		}
		// The change in effect comes back instead when it says the same.
		at := change.EffectiveAt
		if at.IsZero() {
			at = now
		}
		status := http.StatusCreated
		if !stored.EffectiveAt.Equal(at.Truncate(time.Microsecond)) || !stored.RecordedAt.Equal(now.Truncate(time.Microsecond)) {
			status = http.StatusOK
		}
		return jsonAnswer(status, apiStoredStatus{Crossing: crossing.Slug, apiStatus: newAPIStatus(stored)})
	})
}

func jsonAnswer(status int, v any) (int, []byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return 0, nil, fmt.Errorf("encode the answer: %w", err)
	}
	return status, append(body, '\n'), nil
}

// apiWriteRequest reads what every write needs: a JSON body (415 for
// another type, 413 beyond the body limit) and the crossing of the path,
// which the token's user must work on (403, logged).
func (a *App) apiWriteRequest(c echo.Context) ([]byte, models.Crossing, error) {
	l := a.locale(c)
	mediaType, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != echo.MIMEApplicationJSON || params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") {
		return nil, models.Crossing{}, &requestError{status: http.StatusUnsupportedMediaType, message: l.T("api.content_type")}
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		// The body limit's own error (413) when the body is too long.
		return nil, models.Crossing{}, err
	}
	crossing, err := a.apiCrossingParam(c)
	if err != nil {
		return nil, models.Crossing{}, err
	}
	if !a.mayEditCrossing(currentUser(c), crossing.ID) {
		_ = a.denyAccess(c, "crossing")
		return nil, models.Crossing{}, &requestError{status: http.StatusForbidden, message: l.T("api.forbidden_crossing", "Crossing", crossing.Name)}
	}
	return body, crossing, nil
}

// bodyError answers a body that cannot be read: 400, naming each field.
func (a *App) bodyError(l *Locale, p *bodyProblem) error {
	if p.key != "" {
		return &requestError{status: http.StatusBadRequest, message: l.T(p.key, p.args...)}
	}
	return &requestError{status: http.StatusBadRequest, message: l.T("api.bad_fields"), fields: apiFieldMessages(l, p.fields)}
}

// apiFieldMessages words each problem for the error's fields, by the
// field's path in the body; what the client sent is repeated cut short.
func apiFieldMessages(l *Locale, problems []models.FieldError) map[string]string {
	fields := map[string]string{}
	for _, fe := range problems {
		if len(fe.Params) > 0 {
			params := make(map[string]any, len(fe.Params))
			for k, v := range fe.Params {
				if s, ok := v.(string); ok {
					v = models.ShownValue(s)
				}
				params[k] = v
			}
			fe.Params = params
		}
		field := models.ShownValue(fe.Field)
		msg := validationMessage(l, fe, field)
		if prev, ok := fields[field]; ok {
			msg = prev + " " + msg
		}
		fields[field] = msg
	}
	return fields
}

// validIdempotencyKey reports whether key is 1 to MaxIdempotencyKey
// visible ASCII characters.
func validIdempotencyKey(key string) bool {
	if key == "" || len(key) > models.MaxIdempotencyKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// apiWrite runs a write and answers it. With an Idempotency-Key the answer
// is stored with the write, per token, and a retry with the same key and
// body gets it again (marked Idempotent-Replayed) without a second write;
// the same key with another body is refused. A write the rules refuse is
// a 422 naming each field; a save based on an old version of the day a 409
// with what is stored now.
func (a *App) apiWrite(c echo.Context, crossing models.Crossing, body []byte,
	write func(tx *gorm.DB) (status int, body []byte, err error)) error {
	ctx, l, req := c.Request().Context(), a.locale(c), c.Request()
	var answer models.IdempotentAnswer
	var err error
	if key := req.Header.Get(headerIdempotencyKey); key != "" || len(req.Header.Values(headerIdempotencyKey)) > 0 {
		if !validIdempotencyKey(key) {
			return &requestError{status: http.StatusBadRequest, message: l.T("api.idempotency_key", "Max", models.MaxIdempotencyKey),
				fields: map[string]string{headerIdempotencyKey: l.T("api.idempotency_key", "Max", models.MaxIdempotencyKey)}}
		}
		token, _ := c.Get(ctxAPIToken).(*models.APIToken)
		if token == nil {
			return errors.New("API write without its token")
		}
		answer, err = models.RunIdempotent(ctx, a.db, models.IdempotentRequest{TokenID: token.ID, Key: key,
			Hash: models.RequestHash(req.Method, req.URL.Path, body)}, a.now(), write)
	} else {
		answer.Status, answer.Body, err = write(a.db)
	}
	var ve *models.ValidationError
	var vc *models.VersionConflict
	switch {
	case errors.Is(err, models.ErrIdempotencyMismatch):
		return &requestError{status: http.StatusUnprocessableEntity, message: l.T("api.idempotency_mismatch"),
			fields: map[string]string{headerIdempotencyKey: l.T("api.idempotency_mismatch")}}
	case errors.As(err, &ve):
		return &requestError{status: http.StatusUnprocessableEntity, message: l.T("api.invalid"), fields: apiFieldMessages(l, ve.Fields)}
	case errors.As(err, &vc):
		return a.apiConflict(c, l, crossing, vc)
	case err != nil:
		return err
	}
	if answer.Replayed {
		c.Response().Header().Set(headerReplayed, "true")
	} else {
		a.pages.invalidate()
		if strings.HasSuffix(c.Path(), "/figures") {
			a.metrics.figureDaysSaved("api", 1)
		}
		a.log.Info("API write", "path", req.URL.Path, "status", answer.Status, "user", currentUser(c).Username,
			"request_id", requestID(c))
	}
	return c.JSONBlob(answer.Status, answer.Body)
}

// apiConflict answers 409 with the day as stored now, in the error shape
// with the day beside it as current.
func (a *App) apiConflict(c echo.Context, l *Locale, crossing models.Crossing, vc *models.VersionConflict) error {
	by := vc.By
	if by == "" {
		by = l.T("entry.someone")
	}
	message := l.T("api.conflict", "Date", vc.Current.Day.String(), "Base", vc.Base, "Version", vc.Current.Version,
		"User", by, "Time", rfc3339UTC(vc.Current.UpdatedAt))
	return c.JSON(http.StatusConflict, struct {
		Error   apiErrorBody `json:"error"`
		Current apiDay       `json:"current"`
	}{apiErrorBody{Code: errorCode(http.StatusConflict), Message: message}, newAPIDay(crossing, vc.Current, vc.Figures)})
}
