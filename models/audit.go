package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AuditEntry is one append-only record of a change to data: who, what, when.
type AuditEntry struct {
	ID        int64
	At        time.Time `gorm:"autoCreateTime"`
	UserID    *int64
	Actor     string // user name, or "cli", "demo", "system"
	Action    string
	Entity    string
	EntityID  string
	Detail    string
	Before    string `gorm:"column:before_values"` // JSON of the values before the change, "" for a creation
	After     string `gorm:"column:after_values"`  // JSON of the values after, "" for a deletion
	IP        string `gorm:"column:ip"`
	RequestID string
}

// TableName keeps the table's name singular, as a log is one thing.
func (AuditEntry) TableName() string { return "audit_log" }

// WriteAudit appends an entry; call it inside the transaction of the change
// it records, so that the change and its record land together.
func WriteAudit(tx *gorm.DB, e AuditEntry) error {
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("write audit record: %w", err)
	}
	return nil
}
