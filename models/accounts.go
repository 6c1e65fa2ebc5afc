package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Actor is who makes a change, as the audit log records it: a signed-in
// user (UserID set) from an address with a request ID, or a command
// ("cli", "demo", "system") with neither.
type Actor struct {
	UserID    *int64
	Name      string
	IP        string
	RequestID string
}

// auditEntry describes one change by the actor; before and after are
// stored as JSON, nil for a creation's before or a deletion's after.
func (a Actor) auditEntry(action, entity, entityID string, before, after any) (AuditEntry, error) {
	e := AuditEntry{UserID: a.UserID, Actor: a.Name, Action: action, Entity: entity, EntityID: entityID,
		IP: a.IP, RequestID: a.RequestID}
	for _, v := range []struct {
		value any
		into  *string
	}{{before, &e.Before}, {after, &e.After}} {
		if v.value == nil {
			continue
		}
		b, err := json.Marshal(v.value)
		if err != nil {
			return AuditEntry{}, fmt.Errorf("encode audit values of %s %s: %w", entity, entityID, err)
		}
		*v.into = string(b)
	}
	return e, nil
}

// audit writes the actor's change in tx, the transaction of the change.
func (a Actor) audit(tx *gorm.DB, action, entity, entityID string, before, after any) error {
	e, err := a.auditEntry(action, entity, entityID, before, after)
	if err != nil {
		return err
	}
	return WriteAudit(tx, e)
}

// Errors of signing in and of changes to accounts; the app shows each as
// its own message.
var (
	// ErrBadCredentials is returned for an unknown user name or a wrong
	// password alike, so that nobody learns which accounts exist.
	ErrBadCredentials = errors.New("the user name or password is wrong")
	// ErrAccountDisabled is returned for the right password of a disabled account.
	ErrAccountDisabled = errors.New("the account is disabled")
	// ErrInvalidUsername is returned for a name outside the user name rule.
	ErrInvalidUsername = errors.New("a user name must be 2 to 40 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit")
	// ErrCrossingsRequired is returned for an officer or supervisor without crossings.
	ErrCrossingsRequired = errors.New("an officer or supervisor needs at least one crossing to work on")
	// ErrOwnAccount is returned when an administrator tries to disable their
	// own account or change their own role, which could lock everybody out.
	ErrOwnAccount = errors.New("you cannot disable your own account or change your own role")
	// ErrPasswordChanged is returned when the password changed between
	// checking the current one and storing the new one.
	ErrPasswordChanged = errors.New("the password was changed meanwhile; sign in again")
	// ErrTokenInvalid is returned for an API token that is unknown, revoked,
	// or belongs to a disabled account.
	ErrTokenInvalid = errors.New("the API token is unknown, revoked, or its account is disabled")
)

// ValidUsername reports whether name follows the user name rule, which also
// keeps markup and spaces out of names.
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }

// userValues is what the audit log records of an account: never its hash.
type userValues struct {
	Username          string     `json:"username"`
	Role              Role       `json:"role"`
	Crossings         []string   `json:"crossings"`
	Disabled          bool       `json:"disabled"`
	SessionGeneration int        `json:"session_generation"`
	PasswordChangedAt *time.Time `json:"password_changed_at,omitempty"`
}

func valuesOf(u User) userValues {
	slugs := make([]string, 0, len(u.Crossings))
	for _, c := range u.Crossings {
		slugs = append(slugs, c.Slug)
	}
	slices.Sort(slugs)
	return userValues{Username: u.Username, Role: u.Role, Crossings: slugs, Disabled: u.Disabled,
		SessionGeneration: u.SessionGeneration, PasswordChangedAt: u.PasswordChangedAt}
}

// preloadCrossings loads a user's crossings in display order.
func preloadCrossings(db *gorm.DB) *gorm.DB {
	return db.Preload("Crossings", func(db *gorm.DB) *gorm.DB { return db.Order("sort_order, name") })
}

// forUpdate locks the rows a PostgreSQL transaction reads until it ends;
// SQLite needs no lock, as its write transactions hold the database's
// write lock from their start.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if Dialect(tx) == DialectPostgres {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// UserByID finds an account with its crossings, or returns ErrNotFound.
func UserByID(ctx context.Context, db *gorm.DB, id int64) (User, error) {
	return findUser(db.WithContext(ctx), "id", id)
}

// UserByName finds an account with its crossings, or returns ErrNotFound.
func UserByName(ctx context.Context, db *gorm.DB, username string) (User, error) {
	return findUser(db.WithContext(ctx), "username", username)
}

func findUser(db *gorm.DB, column string, value any) (User, error) {
	var u User
	err := preloadCrossings(db).Where(clause.Eq{Column: clause.Column{Name: column}, Value: value}).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, fmt.Errorf("user %v: %w", value, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("find user %v: %w", value, err)
	}
	return u, nil
}

// Users lists every account with its crossings, by user name.
func Users(ctx context.Context, db *gorm.DB) ([]User, error) {
	var users []User
	if err := preloadCrossings(db.WithContext(ctx)).Order("username").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// dummyPasswordHash has the parameters of a real hash, so that checking a
// password against it takes as long as checking a real one: signing in as
// an unknown user costs the same time as a wrong password.
var dummyPasswordHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
	"c2lnbi1pbi10aW1pbmctcGFk", "bm8tcGFzc3dvcmQtbWF0Y2hlcy10aGlzLWtleS4uLi4")

// AuthenticatePassword checks a user name and password. An unknown name and
// a wrong password both give ErrBadCredentials, after the same work; the
// right password of a disabled account gives ErrAccountDisabled.
func AuthenticatePassword(ctx context.Context, db *gorm.DB, username, password string) (User, error) {
	user, err := UserByName(ctx, db, username)
	switch {
	case errors.Is(err, ErrNotFound):
		if _, err := CheckPassword(dummyPasswordHash, password); err != nil {
			return User{}, fmt.Errorf("check against the dummy hash: %w", err)
		}
		return User{}, ErrBadCredentials
	case err != nil:
		return User{}, err
	}
	ok, err := CheckPassword(user.PasswordHash, password)
	if err != nil {
		return User{}, fmt.Errorf("check the password of %s: %w", username, err)
	}
	if !ok {
		return User{}, ErrBadCredentials
	}
	if user.Disabled {
		return User{}, ErrAccountDisabled
	}
	return user, nil
}

// The login throttle (ASVS V2.2.1): after LoginFailureLimit failed attempts
// for one account, or from one address, within LoginThrottleWindow, further
// attempts are refused until the oldest of those failures leaves the window.
// A successful sign-in clears the account's count but not the address's, so
// that an attacker with one account of their own cannot reset the count of
// the address they guess from.
const (
	LoginFailureLimit      = 5
	LoginThrottleWindow    = 15 * time.Minute
	LoginAttemptsRetention = 30 * 24 * time.Hour
)

// maxRecordedUsername bounds what is stored of a typed user name: a real one
// has at most 40 characters, and anything longer is noise.
const maxRecordedUsername = 64

// RecordLoginAttempt stores one attempt to sign in that was checked.
func RecordLoginAttempt(ctx context.Context, db *gorm.DB, username, ip string, succeeded bool, at time.Time) error {
	return recordLoginAttempt(ctx, db, LoginAttempt{At: at, Username: username, IP: ip, Succeeded: succeeded})
}

// RecordThrottledLogin stores an attempt that the throttle refused before
// checking its password: a failure, marked as throttled.
func RecordThrottledLogin(ctx context.Context, db *gorm.DB, username, ip string, at time.Time) error {
	return recordLoginAttempt(ctx, db, LoginAttempt{At: at, Username: username, IP: ip, Throttled: true})
}

func recordLoginAttempt(ctx context.Context, db *gorm.DB, attempt LoginAttempt) error {
	if utf8.RuneCountInString(attempt.Username) > maxRecordedUsername {
		attempt.Username = string([]rune(attempt.Username)[:maxRecordedUsername])
	}
	attempt.At = attempt.At.UTC()
	if err := db.WithContext(ctx).Create(&attempt).Error; err != nil {
		return fmt.Errorf("record login attempt: %w", err)
	}
	return nil
}

// LoginThrottle returns how long sign-in to the account username from ip
// must wait, zero when it may go ahead. The attempts it refuses are
// recorded (RecordThrottledLogin) and count as failures: whoever keeps
// guessing while throttled stays throttled, and the wait to name is the
// one LoginThrottle gives after the refused attempt is recorded.
func LoginThrottle(ctx context.Context, db *gorm.DB, username, ip string, now time.Time) (time.Duration, error) {
	db = db.WithContext(ctx)
	windowStart := now.Add(-LoginThrottleWindow).UTC()
	accountSince := windowStart
	var lastSuccess []time.Time
	err := db.Model(&LoginAttempt{}).Where("username = ? AND succeeded = ? AND at > ?", username, true, windowStart).
		Order("at DESC").Limit(1).Pluck("at", &lastSuccess).Error
	if err != nil {
		return 0, fmt.Errorf("read login attempts of %s: %w", username, err)
	}
	if len(lastSuccess) == 1 {
		accountSince = lastSuccess[0].UTC()
	}
	var wait time.Duration
	for _, scope := range []struct {
		column, value string
		since         time.Time
	}{{"username", username, accountSince}, {"ip", ip, windowStart}} {
		var failures []time.Time
		err := db.Model(&LoginAttempt{}).
			Where(clause.Eq{Column: clause.Column{Name: scope.column}, Value: scope.value}).
			Where("succeeded = ? AND at > ?", false, scope.since).
			Order("at DESC").Limit(LoginFailureLimit).Pluck("at", &failures).Error
		if err != nil {
			return 0, fmt.Errorf("count failed logins by %s: %w", scope.column, err)
		}
		if len(failures) == LoginFailureLimit {
			wait = max(wait, failures[LoginFailureLimit-1].Add(LoginThrottleWindow).Sub(now))
		}
	}
	return max(wait, 0), nil
}

// LastSignIns returns each user name's latest successful sign-in that is
// still on record (attempts are kept for LoginAttemptsRetention).
func LastSignIns(ctx context.Context, db *gorm.DB) (map[string]time.Time, error) {
	var rows []LoginAttempt
	err := db.WithContext(ctx).Model(&LoginAttempt{}).Select("username, at").Where("succeeded = ?", true).
		Order("at").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read sign-ins: %w", err)
	}
	last := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		last[r.Username] = r.At
	}
	return last, nil
}

// DeleteOldLoginAttempts removes the attempts recorded before cutoff.
func DeleteOldLoginAttempts(ctx context.Context, db *gorm.DB, cutoff time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("at < ?", cutoff.UTC()).Delete(&LoginAttempt{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete old login attempts: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// ChangePassword sets a user's new password after checking the current one.
// It ends the user's other sessions (the session generation goes up; the
// caller keeps its own session by storing the new generation) and writes
// the audit record in the same transaction.
func ChangePassword(ctx context.Context, db *gorm.DB, userID int64, current, next string, actor Actor, now time.Time) (User, error) {
	user, err := UserByID(ctx, db, userID)
	if err != nil {
		return User{}, err
	}
	ok, err := CheckPassword(user.PasswordHash, current)
	if err != nil {
		return User{}, fmt.Errorf("check the password of %s: %w", user.Username, err)
	}
	if !ok {
		return User{}, ErrBadCredentials
	}
	return setPassword(ctx, db, user, next, "change_password", actor, now)
}

// ResetPassword gives a user a new password chosen by an administrator and
// ends all of the user's sessions, with its audit record.
func ResetPassword(ctx context.Context, db *gorm.DB, userID int64, password string, actor Actor, now time.Time) (User, error) {
	user, err := UserByID(ctx, db, userID)
	if err != nil {
		return User{}, err
	}
	return setPassword(ctx, db, user, password, "reset_password", actor, now)
}

// setPassword hashes outside the transaction (it takes tens of
// milliseconds) and stores the hash only if the password has not changed
// since user was read.
func setPassword(ctx context.Context, db *gorm.DB, user User, password, action string, actor Actor, now time.Time) (User, error) {
	if err := ValidatePassword(user.Username, password); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	before := valuesOf(user)
	changedAt := now.UTC()
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND password_hash = ?", user.ID, user.PasswordHash).Updates(map[string]any{
			"password_hash": hash, "password_changed_at": changedAt,
			"session_generation": gorm.Expr("session_generation + 1"),
		})
		if res.Error != nil {
			return fmt.Errorf("store the new password of %s: %w", user.Username, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrPasswordChanged
		}
		var generation []int
		if err := tx.Model(&User{}).Where("id = ?", user.ID).Pluck("session_generation", &generation).Error; err != nil {
			return fmt.Errorf("read the session generation of %s: %w", user.Username, err)
		}
		if len(generation) != 1 {
			return fmt.Errorf("user %s: %w", user.Username, ErrNotFound)
		}
		user.SessionGeneration = generation[0]
		user.PasswordHash, user.PasswordChangedAt = hash, &changedAt
		return actor.audit(tx, action, "user", fmt.Sprint(user.ID), before, valuesOf(user))
	})
	if err != nil {
		return User{}, err
	}
	return user, nil
}

// UserAccess is what an administrator may change of an account besides
// its password: its role and crossings.
type UserAccess struct {
	Role          Role
	CrossingSlugs []string
}

// UpdateUserAccess sets a user's role and crossings, with its audit record.
func UpdateUserAccess(ctx context.Context, db *gorm.DB, userID int64, access UserAccess, actor Actor) (User, error) {
	if _, err := ParseRole(string(access.Role)); err != nil {
		return User{}, err
	}
	if access.Role != RoleAdmin && len(access.CrossingSlugs) == 0 {
		return User{}, ErrCrossingsRequired
	}
	var user User
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := forUpdate(preloadCrossings(tx)).Where("id = ?", userID).Take(&user).Error; err != nil {
			return notFoundOr(err, "user %d", userID)
		}
		if actor.UserID != nil && *actor.UserID == userID && access.Role != user.Role {
			return ErrOwnAccount
		}
		crossings, err := crossingsBySlug(ctx, tx, access.CrossingSlugs)
		if err != nil {
			return err
		}
		before := valuesOf(user)
		if err := tx.Model(&user).Update("role", access.Role).Error; err != nil {
			return fmt.Errorf("store the role of %s: %w", user.Username, err)
		}
		if err := tx.Model(&user).Omit("Crossings.*").Association("Crossings").Replace(crossings); err != nil {
			return fmt.Errorf("store the crossings of %s: %w", user.Username, err)
		}
		user.Role, user.Crossings = access.Role, crossings
		return actor.audit(tx, "update", "user", fmt.Sprint(user.ID), before, valuesOf(user))
	})
	if err != nil {
		return User{}, err
	}
	return user, nil
}

// SetUserDisabled disables or enables an account, with its audit record.
// Disabling raises the session generation, so every session of the user
// ends at once, on every replica.
func SetUserDisabled(ctx context.Context, db *gorm.DB, userID int64, disabled bool, actor Actor) (User, error) {
	if actor.UserID != nil && *actor.UserID == userID {
		return User{}, ErrOwnAccount
	}
	var user User
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := forUpdate(preloadCrossings(tx)).Where("id = ?", userID).Take(&user).Error; err != nil {
			return notFoundOr(err, "user %d", userID)
		}
		if user.Disabled == disabled {
			return nil
		}
		before := valuesOf(user)
		changes := map[string]any{"disabled": disabled}
		if disabled {
			changes["session_generation"] = gorm.Expr("session_generation + 1")
			user.SessionGeneration++
		}
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(changes).Error; err != nil {
			return fmt.Errorf("disable or enable %s: %w", user.Username, err)
		}
		user.Disabled = disabled
		action := "enable"
		if disabled {
			action = "disable"
		}
		return actor.audit(tx, action, "user", fmt.Sprint(user.ID), before, valuesOf(user))
	})
	if err != nil {
		return User{}, err
	}
	return user, nil
}

// crossingsBySlug finds each crossing named, in the order given.
func crossingsBySlug(ctx context.Context, tx *gorm.DB, slugs []string) ([]Crossing, error) {
	crossings := make([]Crossing, 0, len(slugs))
	for _, slug := range slugs {
		c, err := CrossingBySlug(ctx, tx, slug)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(crossings, func(have Crossing) bool { return have.ID == c.ID }) {
			crossings = append(crossings, c)
		}
	}
	return crossings, nil
}

// notFoundOr turns GORM's "record not found" into ErrNotFound, and wraps
// any other error with what was being looked for.
func notFoundOr(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("find %s: %w", what, err)
}

// API tokens are "bf_" and 52 base32 characters (32 random bytes), so that
// a leaked one is recognisable in a scanner's rules and in a log.
const (
	apiTokenPrefix     = "bf_"
	apiTokenBytes      = 32
	apiTokenShownChars = 8 // stored in clear to name the token in lists
	// tokenUseResolution is how stale last_used_at may be: a busy client
	// then writes it about once a minute, not with every request.
	tokenUseResolution = time.Minute
)

// MaxTokenName is the longest name a token may have.
const MaxTokenName = 100

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// hashAPIToken is what the database keeps of a token: its SHA-256, in hex.
func hashAPIToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ErrTokenName is returned for a token name that is too long or holds
// control characters.
var ErrTokenName = fmt.Errorf("a token name has at most %d characters and no control characters", MaxTokenName)

// CreateAPIToken makes a new token for the user, with its audit record, and
// returns the token itself, which is not stored and so can be shown only now.
func CreateAPIToken(ctx context.Context, db *gorm.DB, username, name string, actor Actor) (string, APIToken, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxTokenName || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", APIToken{}, ErrTokenName
	}
	user, err := UserByName(ctx, db, username)
	if err != nil {
		return "", APIToken{}, err
	}
	if user.Disabled {
		return "", APIToken{}, fmt.Errorf("user %s: %w", username, ErrAccountDisabled)
	}
	secret := make([]byte, apiTokenBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", APIToken{}, fmt.Errorf("make an API token: %w", err)
	}
	token := apiTokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(secret))
	record := APIToken{UserID: user.ID, Name: name, TokenHash: hashAPIToken(token), Prefix: token[:apiTokenShownChars]}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&record).Error; err != nil {
			return fmt.Errorf("store an API token for %s: %w", username, err)
		}
		return actor.audit(tx, "create", "api_token", fmt.Sprint(record.ID), nil, tokenValuesOf(record, user.Username))
	})
	if err != nil {
		return "", APIToken{}, err
	}
	return token, record, nil
}

// tokenValues is what the audit log records of a token: never the token or its hash.
type tokenValues struct {
	User      string     `json:"user"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func tokenValuesOf(t APIToken, username string) tokenValues {
	return tokenValues{User: username, Name: t.Name, Prefix: t.Prefix, RevokedAt: t.RevokedAt}
}

// APITokenListing is a token as the admin page lists it, with its user's name.
type APITokenListing struct {
	APIToken
	Username string
}

// APITokens lists every token, the newest first.
func APITokens(ctx context.Context, db *gorm.DB) ([]APITokenListing, error) {
	var tokens []APITokenListing
	err := db.WithContext(ctx).Model(&APIToken{}).Select("api_tokens.*, users.username").
		Joins("JOIN users ON users.id = api_tokens.user_id").Order("api_tokens.created_at DESC, api_tokens.id DESC").
		Find(&tokens).Error
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return tokens, nil
}

// RevokeAPIToken ends a token for good, with its audit record; revoking a
// revoked token changes nothing.
func RevokeAPIToken(ctx context.Context, db *gorm.DB, id int64, actor Actor, now time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t APITokenListing
		err := forUpdate(tx.Model(&APIToken{})).Select("api_tokens.*, users.username").
			Joins("JOIN users ON users.id = api_tokens.user_id").Where("api_tokens.id = ?", id).Take(&t).Error
		if err != nil {
			return notFoundOr(err, "API token %d", id)
		}
		if t.RevokedAt != nil {
			return nil
		}
		before := tokenValuesOf(t.APIToken, t.Username)
		revokedAt := now.UTC()
		if err := tx.Model(&APIToken{}).Where("id = ?", id).Update("revoked_at", revokedAt).Error; err != nil {
			return fmt.Errorf("revoke API token %d: %w", id, err)
		}
		t.RevokedAt = &revokedAt
		return actor.audit(tx, "revoke", "api_token", fmt.Sprint(id), before, tokenValuesOf(t.APIToken, t.Username))
	})
}

// AuthenticateAPIToken finds the live token and its active user. The token
// is looked up by its hash, so the comparison never runs over the secret
// itself; an unknown, revoked or disabled user's token is ErrTokenInvalid.
func AuthenticateAPIToken(ctx context.Context, db *gorm.DB, token string, now time.Time) (APIToken, User, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) || len(token) > 200 {
		return APIToken{}, User{}, ErrTokenInvalid
	}
	hash := hashAPIToken(token)
	var record APIToken
	err := db.WithContext(ctx).Where("token_hash = ?", hash).Take(&record).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return APIToken{}, User{}, ErrTokenInvalid
	}
	if err != nil {
		return APIToken{}, User{}, fmt.Errorf("find API token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(record.TokenHash), []byte(hash)) != 1 || record.RevokedAt != nil {
		return APIToken{}, User{}, ErrTokenInvalid
	}
	user, err := UserByID(ctx, db, record.UserID)
	if err != nil {
		return APIToken{}, User{}, err
	}
	if user.Disabled {
		return APIToken{}, User{}, ErrTokenInvalid
	}
	if record.LastUsedAt == nil || now.Sub(*record.LastUsedAt) >= tokenUseResolution {
		usedAt := now.UTC()
		err := db.WithContext(ctx).Model(&APIToken{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", record.ID, usedAt.Add(-tokenUseResolution)).
			Update("last_used_at", usedAt).Error
		if err != nil {
			return APIToken{}, User{}, fmt.Errorf("note the use of API token %d: %w", record.ID, err)
		}
		record.LastUsedAt = &usedAt
	}
	return record, user, nil
}
