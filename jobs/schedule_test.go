package jobs

import (
	"strings"
	"testing"
	"time"
)

func TestOperatorSchedulesAreCheckedNamingTheJobAndExpression(t *testing.T) {
	got, err := ParseSchedules(" cleanup=@every 15m , stale-data=5 * * * *")
	if err != nil || got["cleanup"] != "@every 15m" || got["stale-data"] != "5 * * * *" || len(got) != 2 {
		t.Fatalf("ParseSchedules = %v, %v", got, err)
	}
	if got, err := ParseSchedules(""); err != nil || len(got) != 0 {
		t.Errorf("empty = %v, %v", got, err)
	}
	cases := map[string][]string{
		"stale-data=@every banana":           {"stale-data", `"@every banana"`},
		"cleanup=61 * * * *":                 {"cleanup", `"61 * * * *"`},
		"cleanup=@every 500ms":               {"cleanup", "whole number of seconds"},
		"nightly=@hourly":                    {`"nightly"`, "cleanup, stale-data"},
		"cleanup":                            {`"cleanup"`, "NAME=SCHEDULE"},
		"cleanup=@hourly, cleanup=@daily":    {"cleanup", "two schedules"},
		"stale-data=@hourly,cleanup=* * * *": {"cleanup", `"* * * *"`},
	}
	for text, mentions := range cases {
		_, err := ParseSchedules(text)
		if err == nil {
			t.Errorf("%q accepted", text)
			continue
		}
		for _, m := range mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%q: error %q does not mention %s", text, err, m)
			}
		}
	}
}

// TestEveryIntervalIsTheSameTickOnEveryReplica: @every counts from local
// midnight, so processes started at different times fire together.
func TestEveryIntervalIsTheSameTickOnEveryReplica(t *testing.T) {
	karachi, err := time.LoadLocation("Asia/Karachi")
	if err != nil {
		t.Fatal(err)
	}
	sched, err := parseSchedule("@every 15m")
	if err != nil {
		t.Fatal(err)
	}
	for _, started := range []string{"10:00:00", "10:07:31", "10:14:59.9"} {
		at, _ := time.ParseInLocation("2006-01-02 15:04:05", "2026-11-27 "+started, karachi)
		if next := sched.Next(at); !next.Equal(time.Date(2026, 11, 27, 10, 15, 0, 0, karachi)) {
			t.Errorf("after %s: next %s, want 10:15 in Karachi", started, next)
		}
	}
	daily, _ := parseSchedule("@every 24h")
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, karachi)
	if next := daily.Next(at); !next.Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, karachi)) {
		t.Errorf("@every 24h after 03:00: %s, want local midnight", next)
	}
}
