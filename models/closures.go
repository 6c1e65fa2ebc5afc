package models

import "time"

// StatusSpell is a stretch of time during which one status held.
type StatusSpell struct {
	Change StatusChange
	Start  time.Time
	End    time.Time // the next change, or the instant the spell was read at if still in force
	Open   bool      // still in force
}

// Spells turns a crossing's status changes (oldest first) into the spells
// between them, up to now; a spell that began before from is cut at from.
func Spells(changes []StatusChange, from, now time.Time) []StatusSpell {
	var spells []StatusSpell
	for i, c := range changes {
		if !c.EffectiveAt.Before(now) {
			break
		}
		s := StatusSpell{Change: c, Start: c.EffectiveAt, End: now, Open: true}
		if i+1 < len(changes) && changes[i+1].EffectiveAt.Before(now) {
			s.End, s.Open = changes[i+1].EffectiveAt, false
		}
		if s.Start.Before(from) {
			s.Start = from
		}
		if s.End.After(s.Start) {
			spells = append(spells, s)
		}
	}
	return spells
}

// Closure is a stretch during which a crossing was not fully open: from a
// change to closed or restricted until the next change to open. A closure
// that turns from restricted to closed (or back) stays one closure.
type Closure struct {
	Start, End time.Time // End is the reopening, or now while ongoing
	Ongoing    bool
	// Changes are the status changes within the closure, the first one
	// being the one that began it (its reason is the closure's reason).
	Changes []StatusChange
}

// Duration is how long the closure lasted, or has lasted so far.
func (c Closure) Duration() time.Duration { return c.End.Sub(c.Start) }

// First is the change that began the closure.
func (c Closure) First() StatusChange { return c.Changes[0] }

// WasClosed reports whether the crossing was fully closed at any point.
func (c Closure) WasClosed() bool {
	for _, ch := range c.Changes {
		if ch.State == StateClosed {
			return true
		}
	}
	return false
}

// Closures groups a crossing's status changes (oldest first) into closures,
// newest first, considering changes that took effect before now.
func Closures(changes []StatusChange, now time.Time) []Closure {
	var closures []Closure
	var current *Closure
	for _, c := range changes {
		if !c.EffectiveAt.Before(now) {
			break
		}
		switch {
		case c.State == StateOpen && current != nil:
			current.End = c.EffectiveAt
			closures = append(closures, *current)
			current = nil
		case c.State != StateOpen && current == nil:
			current = &Closure{Start: c.EffectiveAt, Changes: []StatusChange{c}}
		case c.State != StateOpen:
			current.Changes = append(current.Changes, c)
		}
	}
	if current != nil {
		current.End, current.Ongoing = now, true
		closures = append(closures, *current)
	}
	for i, j := 0, len(closures)-1; i < j; i, j = i+1, j-1 {
		closures[i], closures[j] = closures[j], closures[i]
	}
	return closures
}
