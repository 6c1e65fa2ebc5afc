package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"gorm.io/gorm"
)

// Role is what a staff account may do.
type Role string

// The staff roles: an officer enters figures and status for assigned
// crossings, a supervisor also verifies and corrects them, an admin does everything.
const (
	RoleOfficer    Role = "officer"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// ParseRole accepts one of the three role names.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleOfficer, RoleSupervisor, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("role %q is not one of admin, supervisor, officer", s)
}

// User is a staff account.
type User struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         Role
	Disabled     bool
	// SessionGeneration is stored in each login session; bumping it (at a
	// password reset or when the account is disabled) ends them all.
	SessionGeneration int
	PasswordChangedAt *time.Time
	// Locale is the language the user chose from the menu ("" for none);
	// signing in sets it for the browser.
	Locale    string
	Crossings []Crossing `gorm:"many2many:user_crossings"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserCrossing assigns a crossing to an officer or supervisor.
type UserCrossing struct {
	UserID     int64 `gorm:"primaryKey"`
	CrossingID int64 `gorm:"primaryKey"`
}

// ErrDuplicate is returned when a record with the same key already exists.
var ErrDuplicate = errors.New("already exists")

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// NewUser describes an account to create.
type NewUser struct {
	Username      string
	Password      string
	Role          Role
	CrossingSlugs []string
}

// CreateUser validates and stores a new account with its crossings, and
// writes the audit record, in one transaction.
func CreateUser(ctx context.Context, db *gorm.DB, nu NewUser, actor Actor) (User, error) {
	if !ValidUsername(nu.Username) {
		return User{}, fmt.Errorf("user name %q: %w", nu.Username, ErrInvalidUsername)
	}
	if _, err := ParseRole(string(nu.Role)); err != nil {
		return User{}, err
	}
	if nu.Role != RoleAdmin && len(nu.CrossingSlugs) == 0 {
		return User{}, ErrCrossingsRequired
	}
	if err := ValidatePassword(nu.Username, nu.Password); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return User{}, err
	}
	user := User{Username: nu.Username, PasswordHash: hash, Role: nu.Role, SessionGeneration: 1}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if user.Crossings, err = crossingsBySlug(ctx, tx, nu.CrossingSlugs); err != nil {
			return err
		}
		if err := tx.Omit("Crossings.*").Create(&user).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fmt.Errorf("user %q: %w", nu.Username, ErrDuplicate)
			}
			return fmt.Errorf("create user %q: %w", nu.Username, err)
		}
		return actor.audit(tx, "create", "user", fmt.Sprint(user.ID), nil, valuesOf(user))
	})
	if err != nil {
		return User{}, err
	}
	return user, nil
}

// CountUsers returns how many accounts exist.
func CountUsers(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, err
}

// SetUserLocale keeps the language the user chose. A preference, not a
// change to the record's data, so it is not audited.
func SetUserLocale(ctx context.Context, db *gorm.DB, userID int64, lang string) error {
	if err := db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).Update("locale", lang).Error; err != nil {
		return fmt.Errorf("keep the language of user %d: %w", userID, err)
	}
	return nil
}
