package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// MaxIdempotencyKey is the longest Idempotency-Key kept (the schema's limit).
const MaxIdempotencyKey = 200

// IdempotencyRetention is how long an answer is kept for replay: a client
// retries within minutes, and a day covers one that was down overnight.
const IdempotencyRetention = 24 * time.Hour

// ErrIdempotencyMismatch is returned when a token reuses an Idempotency-Key
// for a request that differs from the one the key was first used for.
var ErrIdempotencyMismatch = errors.New("the Idempotency-Key was already used for a different request")

// errIdempotencyRace ends a write's transaction when the key turned up
// meanwhile (another request with the same key won): the caller replays.
var errIdempotencyRace = errors.New("idempotency key stored meanwhile")

// IdempotentRequest names a write for replay: the token that sent it, its
// Idempotency-Key and a hash of the request (RequestHash).
type IdempotentRequest struct {
	TokenID int64
	Key     string
	Hash    string
}

// RequestHash hashes what makes two requests the same write: the method,
// the path and the body.
func RequestHash(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// IdempotentAnswer is the answer to a write: stored with its key, or
// replayed from it.
type IdempotentAnswer struct {
	Status   int
	Body     []byte
	Replayed bool // true when this is the stored answer of an earlier request
}

// RunIdempotent runs write once per key. When req's key already holds an
// answer for the same request, that answer is returned and write is not
// run; for a different request it returns ErrIdempotencyMismatch. Otherwise
// write runs in a transaction, and its answer is stored under the key in
// that same transaction, so that a write and its replayable answer land
// together. A write that fails stores nothing, so the client may retry
// with the same key. Two requests racing with one key write once: the
// loser's transaction rolls back and it replays the winner's answer.
func RunIdempotent(ctx context.Context, db *gorm.DB, req IdempotentRequest, now time.Time,
	write func(tx *gorm.DB) (status int, body []byte, err error)) (IdempotentAnswer, error) {
	if req.Key == "" || len(req.Key) > MaxIdempotencyKey {
		return IdempotentAnswer{}, fmt.Errorf("an Idempotency-Key has 1 to %d characters", MaxIdempotencyKey)
	}
	for attempt := 0; ; attempt++ {
		if answer, found, err := storedAnswer(db.WithContext(ctx), req, now); found || err != nil {
			return answer, err
		}
		var answer IdempotentAnswer
		err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			// Look again inside the transaction: on SQLite it holds the write
			// lock, so a request that committed meanwhile is seen here.
			if _, found, err := storedAnswer(tx, req, now); found || err != nil {
				if err == nil {
					err = errIdempotencyRace
				}
				return err
			}
			status, body, err := write(tx)
			if err != nil {
				return err
			}
			answer = IdempotentAnswer{Status: status, Body: body}
			return saveAnswer(tx, req, answer, now)
		})
		if errors.Is(err, errIdempotencyRace) && attempt < 2 {
			continue
		}
		return answer, err
	}
}

// storedAnswer finds the answer kept for req's key; a key older than
// IdempotencyRetention counts as unused.
func storedAnswer(db *gorm.DB, req IdempotentRequest, now time.Time) (IdempotentAnswer, bool, error) {
	var rows []IdempotencyKey
	err := db.Where("token_id = ? AND key = ? AND created_at > ?", req.TokenID, req.Key, now.Add(-IdempotencyRetention).UTC()).
		Limit(1).Find(&rows).Error
	if err != nil {
		return IdempotentAnswer{}, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if len(rows) == 0 {
		return IdempotentAnswer{}, false, nil
	}
	if rows[0].RequestHash != req.Hash {
		return IdempotentAnswer{}, true, ErrIdempotencyMismatch
	}
	return IdempotentAnswer{Status: rows[0].Status, Body: []byte(rows[0].Body), Replayed: true}, true, nil
}

// saveAnswer keeps answer under req's key in tx, replacing an expired one.
func saveAnswer(tx *gorm.DB, req IdempotentRequest, answer IdempotentAnswer, now time.Time) error {
	err := tx.Where("token_id = ? AND key = ? AND created_at <= ?", req.TokenID, req.Key, now.Add(-IdempotencyRetention).UTC()).
		Delete(&IdempotencyKey{}).Error
	if err != nil {
		return fmt.Errorf("remove expired idempotency key: %w", err)
	}
	err = tx.Create(&IdempotencyKey{TokenID: req.TokenID, Key: req.Key, RequestHash: req.Hash,
		Status: answer.Status, Body: string(answer.Body), CreatedAt: now.UTC()}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return errIdempotencyRace
	}
	if err != nil {
		return fmt.Errorf("store idempotency key: %w", err)
	}
	return nil
}

// DeleteExpiredIdempotencyKeys removes the answers kept longer than
// IdempotencyRetention before now, for a periodic clean-up.
func DeleteExpiredIdempotencyKeys(ctx context.Context, db *gorm.DB, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("created_at <= ?", now.Add(-IdempotencyRetention).UTC()).Delete(&IdempotencyKey{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired idempotency keys: %w", res.Error)
	}
	return res.RowsAffected, nil
}
