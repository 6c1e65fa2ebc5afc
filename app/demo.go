package app

import (
	"context"
	"fmt"
	"time"

	"borderflow/models"
)

// DemoAdmin is the account created beside the demo data on first start.
const DemoAdmin = "demo-admin"

// loadFirstStartDemo fills an embedded database that holds no figures and
// no statuses with demo data, creates a demo administrator if there is no
// account yet, and prints its password once.
func (a *App) loadFirstStartDemo(ctx context.Context) error {
	empty, err := models.HoldsNoRecords(ctx, a.db)
	if err != nil || !empty {
		return err
	}
	now := a.now()
	summary, err := models.LoadDemo(ctx, a.db, models.DemoOptions{
		Days: 180, End: models.DateOf(now, a.cfg.TimeZone).AddDays(-1), Now: now, Seed: 1,
	})
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	a.log.Info("demo data loaded", "figures", summary.Figures, "status_changes", summary.StatusChanges,
		"from", summary.From.String(), "to", summary.To.String())
	users, err := models.CountUsers(ctx, a.db)
	if err != nil || users > 0 {
		return err
	}
	password := models.GeneratePassword()
	if _, err := models.CreateUser(ctx, a.db, models.NewUser{Username: DemoAdmin, Password: password, Role: models.RoleAdmin}, models.Actor{Name: "demo"}); err != nil {
		return fmt.Errorf("create the demo administrator: %w", err)
	}
	// Printed, never logged: the log must not hold passwords.
	fmt.Fprintf(a.cfg.Stdout, "\nDemo data loaded for %s to %s.\nSign in as %s with the password %s\nThis password is shown only now (%s).\n\n",
		summary.From, summary.To, DemoAdmin, password, now.In(a.cfg.TimeZone).Format(time.RFC1123))
	return nil
}
