package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

const goodPassword = "amber river lantern 42"

func newAccount(t *testing.T, db *gorm.DB, name string, role models.Role, crossings ...string) models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), db, models.NewUser{Username: name, Password: goodPassword,
		Role: role, CrossingSlugs: crossings}, models.Actor{Name: "test"})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

func TestPasswordRules(t *testing.T) {
	cases := []struct {
		password string
		want     error
	}{
		{"amber river lantern 42", nil},
		{"correct horse battery staple", nil},
		{"EOYO5W7LQQ4XBJH65FH2KV52ZB", nil}, // a generated one
		{"Tr0ub4dor&3xyz", nil},
		{"short one", models.ErrPasswordTooShort},
		{"elevenchars", models.ErrPasswordTooShort},
		{strings.Repeat("long words ", 12), models.ErrPasswordTooLong},
		{"password1234", models.ErrPasswordCommon},
		{"Password2024!", models.ErrPasswordCommon},
		{"P@ssw0rd2024", models.ErrPasswordCommon},
		{"123456789012", models.ErrPasswordCommon},
		{"qwertyuiop123", models.ErrPasswordCommon},
		{"QWERTYUIOPASDF", models.ErrPasswordCommon},
		{"1qaz2wsx3edc4rfv", models.ErrPasswordCommon},
		{"abcdefghijklmn", models.ErrPasswordCommon},
		{"Pakistan@1947!", models.ErrPasswordCommon},
		{"iloveyou1234", models.ErrPasswordCommon},
		{"borderflow2026", models.ErrPasswordCommon},
		{"aaaaaaaaaaaaaa", models.ErrPasswordRepeated},
		{"abababababab", models.ErrPasswordRepeated},
		{"ab1!ab1!ab1!ab1!", models.ErrPasswordRepeated},
		{"my name is Gul.Khan ok", models.ErrPasswordHasUsername},
	}
	for _, c := range cases {
		if got := models.ValidatePassword("gul.khan", c.password); !errors.Is(got, c.want) {
			t.Errorf("ValidatePassword(%q) = %v, want %v", c.password, got, c.want)
		}
	}
}

func TestCreateUserAppliesTheRules(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		cases := []struct {
			user models.NewUser
			want error
		}{
			{models.NewUser{Username: "<b>x</b>", Password: goodPassword, Role: models.RoleAdmin}, models.ErrInvalidUsername},
			{models.NewUser{Username: "Gul", Password: goodPassword, Role: models.RoleAdmin}, models.ErrInvalidUsername},
			{models.NewUser{Username: "gul", Password: goodPassword, Role: models.RoleOfficer}, models.ErrCrossingsRequired},
			{models.NewUser{Username: "gul", Password: "password12345", Role: models.RoleAdmin}, models.ErrPasswordCommon},
			{models.NewUser{Username: "gul", Password: goodPassword, Role: models.RoleOfficer, CrossingSlugs: []string{"wagah"}}, models.ErrNotFound},
		}
		for _, c := range cases {
			if _, err := models.CreateUser(ctx, db, c.user, models.Actor{Name: "test"}); !errors.Is(err, c.want) {
				t.Errorf("CreateUser(%+v) = %v, want %v", c.user, err, c.want)
			}
		}
		if n, _ := models.CountUsers(ctx, db); n != 0 {
			t.Errorf("refused accounts were stored: %d", n)
		}
	})
}

func TestAuthenticatePassword(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		u := newAccount(t, db, "gul.khan", models.RoleOfficer, "torkham")
		got, err := models.AuthenticatePassword(ctx, db, "gul.khan", goodPassword)
		if err != nil || got.ID != u.ID || len(got.Crossings) != 1 {
			t.Errorf("right password: %+v, %v", got, err)
		}
		if _, err := models.AuthenticatePassword(ctx, db, "gul.khan", "wrong password 12"); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("wrong password: %v", err)
		}
		if _, err := models.AuthenticatePassword(ctx, db, "nobody", goodPassword); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("unknown user: %v, want the same error as a wrong password", err)
		}
		if _, err := models.SetUserDisabled(ctx, db, u.ID, true, models.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.AuthenticatePassword(ctx, db, "gul.khan", goodPassword); !errors.Is(err, models.ErrAccountDisabled) {
			t.Errorf("disabled account: %v", err)
		}
		if _, err := models.AuthenticatePassword(ctx, db, "gul.khan", "wrong password 12"); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("disabled account, wrong password: %v; it must not tell that the account exists", err)
		}
	})
}

func TestLoginThrottleCountsFailuresPerAccountAndAddress(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		record := func(user, ip string, ok bool, at time.Time) {
			t.Helper()
			if err := models.RecordLoginAttempt(ctx, db, user, ip, ok, at); err != nil {
				t.Fatal(err)
			}
		}
		wait := func(user, ip string, now time.Time) time.Duration {
			t.Helper()
			w, err := models.LoginThrottle(ctx, db, user, ip, now)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		for i := range 4 {
			record("gul", "10.0.0."+string(rune('1'+i)), false, start.Add(time.Duration(i)*time.Minute))
		}
		if w := wait("gul", "10.0.0.9", start.Add(5*time.Minute)); w != 0 {
			t.Errorf("after 4 failures: wait %v, want none", w)
		}
		record("gul", "10.0.0.5", false, start.Add(4*time.Minute))
		if w := wait("gul", "10.0.0.9", start.Add(5*time.Minute)); w != 10*time.Minute {
			t.Errorf("after 5 failures: wait %v, want 10m (the first leaves the window at 8:15)", w)
		}
		if w := wait("gul", "10.0.0.9", start.Add(15*time.Minute)); w != 0 {
			t.Errorf("once the first failure is 15 minutes old: wait %v", w)
		}
		// A success clears the account's count.
		record("gul", "10.0.0.1", true, start.Add(6*time.Minute))
		if w := wait("gul", "10.0.0.9", start.Add(7*time.Minute)); w != 0 {
			t.Errorf("after a success: wait %v", w)
		}

		// Five failures from one address, each on another account.
		later := start.Add(time.Hour)
		for i, user := range []string{"a1", "a2", "a3", "a4", "a5"} {
			record(user, "192.0.2.7", false, later.Add(time.Duration(i)*time.Second))
		}
		if w := wait("sana", "192.0.2.7", later.Add(time.Minute)); w <= 13*time.Minute || w > 15*time.Minute {
			t.Errorf("a throttled address: wait %v", w)
		}
		// A success of the attacker's own account does not clear the address.
		record("a1", "192.0.2.7", true, later.Add(2*time.Minute))
		if w := wait("sana", "192.0.2.7", later.Add(3*time.Minute)); w == 0 {
			t.Error("a success cleared the address's failures")
		}
		if w := wait("sana", "192.0.2.8", later.Add(3*time.Minute)); w != 0 {
			t.Errorf("another address: wait %v", w)
		}

		// Old attempts go.
		n, err := models.DeleteOldLoginAttempts(ctx, db, later)
		if err != nil || n != 6 {
			t.Errorf("deleted %d old attempts, %v; want the 6 from the first hour", n, err)
		}
	})
}

func TestPasswordChangesEndSessionsAndAreAudited(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		u := newAccount(t, db, "gul.khan", models.RoleOfficer, "torkham")
		now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		self := models.Actor{UserID: &u.ID, Name: "gul.khan", IP: "192.0.2.1", RequestID: "r1"}
		if _, err := models.ChangePassword(ctx, db, u.ID, "not it at all 1", "violet harbour signal 7", self, now); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("wrong current password: %v", err)
		}
		if _, err := models.ChangePassword(ctx, db, u.ID, goodPassword, "gul.khan.2026!!", self, now); !errors.Is(err, models.ErrPasswordHasUsername) {
			t.Errorf("new password with the user name: %v", err)
		}
		changed, err := models.ChangePassword(ctx, db, u.ID, goodPassword, "violet harbour signal 7", self, now)
		if err != nil {
			t.Fatal(err)
		}
		if changed.SessionGeneration != u.SessionGeneration+1 || changed.PasswordChangedAt == nil || !changed.PasswordChangedAt.Equal(now) {
			t.Errorf("after the change: generation %d (was %d), changed at %v", changed.SessionGeneration, u.SessionGeneration, changed.PasswordChangedAt)
		}
		if _, err := models.AuthenticatePassword(ctx, db, "gul.khan", "violet harbour signal 7"); err != nil {
			t.Errorf("the new password does not work: %v", err)
		}
		reset, err := models.ResetPassword(ctx, db, u.ID, "copper meadow falcon 8", models.Actor{Name: "cli"}, now)
		if err != nil || reset.SessionGeneration != changed.SessionGeneration+1 {
			t.Errorf("reset: generation %d, %v", reset.SessionGeneration, err)
		}
		var audits []models.AuditEntry
		db.Where("entity = ? AND entity_id = ?", "user", fmt.Sprint(u.ID)).Order("id").Find(&audits)
		if len(audits) != 3 || audits[1].Action != "change_password" || audits[2].Action != "reset_password" {
			t.Fatalf("audit = %+v", audits)
		}
		if a := audits[1]; a.Actor != "gul.khan" || a.IP != "192.0.2.1" || a.RequestID != "r1" || *a.UserID != u.ID ||
			!strings.Contains(a.Before, `"session_generation":1`) || !strings.Contains(a.After, `"session_generation":2`) {
			t.Errorf("change audit = %+v", a)
		}
	})
}

func TestUserAccessChangesAreAuditedBeforeAndAfter(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		admin := newAccount(t, db, "root", models.RoleAdmin)
		u := newAccount(t, db, "gul.khan", models.RoleOfficer, "torkham")
		actor := models.Actor{UserID: &admin.ID, Name: "root"}
		got, err := models.UpdateUserAccess(ctx, db, u.ID, models.UserAccess{Role: models.RoleSupervisor, CrossingSlugs: []string{"chaman", "torkham", "chaman"}}, actor)
		if err != nil || got.Role != models.RoleSupervisor || len(got.Crossings) != 2 {
			t.Fatalf("update: %+v, %v", got, err)
		}
		stored, _ := models.UserByID(ctx, db, u.ID)
		if len(stored.Crossings) != 2 {
			t.Errorf("stored crossings = %v", stored.Crossings)
		}
		var last models.AuditEntry
		db.Where("entity = ? AND entity_id = ?", "user", fmt.Sprint(u.ID)).Order("id DESC").Take(&last)
		if last.Action != "update" || !strings.Contains(last.Before, `"role":"officer","crossings":["torkham"]`) ||
			!strings.Contains(last.After, `"role":"supervisor","crossings":["chaman","torkham"]`) {
			t.Errorf("audit %s: %s → %s", last.Action, last.Before, last.After)
		}
		if _, err := models.UpdateUserAccess(ctx, db, u.ID, models.UserAccess{Role: models.RoleOfficer}, actor); !errors.Is(err, models.ErrCrossingsRequired) {
			t.Errorf("officer without crossings: %v", err)
		}
		if _, err := models.UpdateUserAccess(ctx, db, admin.ID, models.UserAccess{Role: models.RoleOfficer, CrossingSlugs: []string{"torkham"}}, actor); !errors.Is(err, models.ErrOwnAccount) {
			t.Errorf("demoting oneself: %v", err)
		}
		if _, err := models.SetUserDisabled(ctx, db, admin.ID, true, actor); !errors.Is(err, models.ErrOwnAccount) {
			t.Errorf("disabling oneself: %v", err)
		}
		if _, err := models.UpdateUserAccess(ctx, db, 9999, models.UserAccess{Role: models.RoleAdmin}, actor); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
	})
}

func TestAPITokenLifecycle(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		u := newAccount(t, db, "counter", models.RoleOfficer, "torkham")
		now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		token, record, err := models.CreateAPIToken(ctx, db, "counter", "  gate 3  ", models.Actor{Name: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(token, "bf_") || len(token) != 55 || record.Prefix != token[:8] || record.Name != "gate 3" {
			t.Errorf("token %q, record %+v", token, record)
		}
		var stored models.APIToken
		db.Take(&stored, record.ID)
		if stored.TokenHash == token || strings.Contains(stored.TokenHash, token[3:]) {
			t.Error("the token itself is stored")
		}

		_, user, err := models.AuthenticateAPIToken(ctx, db, token, now)
		if err != nil || user.ID != u.ID || len(user.Crossings) != 1 {
			t.Fatalf("authenticate: %+v %v", user, err)
		}
		lastUsed := func() time.Time {
			var s models.APIToken
			db.Take(&s, record.ID)
			if s.LastUsedAt == nil {
				t.Fatal("last_used_at not set")
			}
			return s.LastUsedAt.UTC()
		}
		if !lastUsed().Equal(now) {
			t.Errorf("last used %v, want %v", lastUsed(), now)
		}
		// Within a minute the use is not written again; after it, it is.
		models.AuthenticateAPIToken(ctx, db, token, now.Add(30*time.Second))
		if !lastUsed().Equal(now) {
			t.Errorf("last used moved within the minute: %v", lastUsed())
		}
		models.AuthenticateAPIToken(ctx, db, token, now.Add(2*time.Minute))
		if !lastUsed().Equal(now.Add(2 * time.Minute)) {
			t.Errorf("last used not updated after a minute: %v", lastUsed())
		}

		for _, bad := range []string{"", "bf_", token + "x", strings.ToUpper(token), "Bearer " + token, token[:54]} {
			if _, _, err := models.AuthenticateAPIToken(ctx, db, bad, now); !errors.Is(err, models.ErrTokenInvalid) {
				t.Errorf("token %q: %v, want ErrTokenInvalid", bad, err)
			}
		}
		if err := models.RevokeAPIToken(ctx, db, record.ID, models.Actor{Name: "cli"}, now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := models.AuthenticateAPIToken(ctx, db, token, now); !errors.Is(err, models.ErrTokenInvalid) {
			t.Errorf("revoked: %v", err)
		}
		if err := models.RevokeAPIToken(ctx, db, record.ID, models.Actor{Name: "cli"}, now); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		var audits int64
		db.Model(&models.AuditEntry{}).Where("entity = ?", "api_token").Count(&audits)
		if audits != 2 {
			t.Errorf("token audit records = %d, want create and one revoke", audits)
		}
		if _, _, err := models.CreateAPIToken(ctx, db, "nobody", "", models.Actor{Name: "cli"}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("token for an unknown user: %v", err)
		}
		if _, _, err := models.CreateAPIToken(ctx, db, "counter", "tab\there", models.Actor{Name: "cli"}); !errors.Is(err, models.ErrTokenName) {
			t.Errorf("token name with a control character: %v", err)
		}
		list, err := models.APITokens(ctx, db)
		if err != nil || len(list) != 1 || list[0].Username != "counter" || list[0].RevokedAt == nil {
			t.Errorf("list = %+v, %v", list, err)
		}
	})
}
