package jobs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parseSchedule reads a standard cron expression ("30 3 * * *") or a
// descriptor (@hourly, @daily, @every 15m). An @every interval counts from
// midnight in the scheduler's time zone, not from the process's start, so
// that every replica reaches the same tick at the same instant.
func parseSchedule(expr string) (cron.Schedule, error) {
	// cron rounds an @every interval to whole seconds silently; refuse instead.
	if interval, ok := strings.CutPrefix(expr, "@every "); ok {
		if d, err := time.ParseDuration(interval); err == nil && (d < time.Second || d%time.Second != 0) {
			return nil, errors.New("an @every interval must be a whole number of seconds, at least 1s")
		}
	}
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, err
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return alignedEvery{every.Delay}, nil
	}
	return sched, nil
}

// alignedEvery fires at the multiples of d counted from local midnight (for
// intervals that divide a day, which are the useful ones).
type alignedEvery struct{ d time.Duration }

// Next returns the first multiple of d after t, in t's zone.
func (a alignedEvery) Next(t time.Time) time.Time {
	_, offset := t.Zone()
	shift := time.Duration(offset) * time.Second
	return t.Add(shift).Truncate(a.d).Add(a.d).Add(-shift)
}

// ParseSchedules reads the operator's schedules, "NAME=EXPR, NAME=EXPR"
// (e.g. "impact=@every 15m, stale-data=@hourly"), checking each name
// against the registry and each expression. An empty text sets none.
func ParseSchedules(text string) (map[string]string, error) {
	schedules := map[string]string{}
	registry := Registry(Options{})
	for _, item := range strings.Split(text, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, expr, ok := strings.Cut(item, "=")
		name, expr = strings.TrimSpace(name), strings.TrimSpace(expr)
		if !ok || name == "" || expr == "" {
			return nil, fmt.Errorf("%q is not NAME=SCHEDULE, such as stale-data=@hourly", item)
		}
		if !hasJob(registry, name) {
			return nil, unknownJob(registry, name)
		}
		if _, dup := schedules[name]; dup {
			return nil, fmt.Errorf("the %s job is given two schedules", name)
		}
		if _, err := parseSchedule(expr); err != nil {
			return nil, fmt.Errorf("the %s job has the bad schedule %q (%s); use a cron expression such as \"30 3 * * *\", @hourly or @every 15m", name, expr, err)
		}
		schedules[name] = expr
	}
	return schedules, nil
}

func hasJob(jobs []Job, name string) bool {
	for _, j := range jobs {
		if j.Name == name {
			return true
		}
	}
	return false
}

// Lookup finds a registered job by name, with its default schedule, or
// returns an error that lists the jobs.
func Lookup(name string) (Job, error) {
	registry := Registry(Options{})
	for _, j := range registry {
		if j.Name == name {
			return j, nil
		}
	}
	return Job{}, unknownJob(registry, name)
}

// Names lists the names of the jobs, comma-separated.
func Names(jobs []Job) string {
	names := make([]string, len(jobs))
	for i, j := range jobs {
		names[i] = j.Name
	}
	return strings.Join(names, ", ")
}

// unknownJob is the error for a name no job has, listing those that exist.
func unknownJob(jobs []Job, name string) error {
	return fmt.Errorf("%w %q; the jobs are %s", ErrUnknownJob, name, Names(jobs))
}
