package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// childEnv names the database a child process of
// TestTwoProcessesRunEachScheduledPeriodOnce runs its scheduler on.
const childEnv = "BORDERFLOW_JOBS_TEST_CHILD"

func childDatabase() string { return os.Getenv(childEnv) }

// tickJob writes one audit record a run, naming its tick: its results.
// It takes a while, so that the two processes' runs overlap.
func tickJob() Job {
	return Job{Name: "tick", Schedule: "@every 1s", Run: func(ctx context.Context, tx *gorm.DB, run RunOptions) (int, error) {
		time.Sleep(300 * time.Millisecond)
		return 1, models.WriteAudit(tx, models.AuditEntry{Actor: "system", Action: "tick", Entity: "job", EntityID: run.At.Format(time.RFC3339)})
	}}
}

// runChild is a replica: it runs tickJob on the real scheduler for three
// and a half seconds, logging each run and skip to stdout, then exits.
func runChild(url string) {
	target, err := models.ResolveDatabase(url, "")
	if err != nil {
		panic(err)
	}
	db, err := models.Open(context.Background(), target, nil)
	if err != nil {
		panic(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	s, err := newScheduler(db, log, Options{Location: time.UTC}, []Job{tickJob()})
	if err != nil {
		panic(err)
	}
	s.Start()
	time.Sleep(3500 * time.Millisecond)
	s.Stop()
	_ = models.Close(db)
	os.Exit(0)
}

func TestTwoProcessesRunEachScheduledPeriodOnce(t *testing.T) {
	url := testdb.PostgresURL(t)
	var outputs [2]bytes.Buffer
	var children [2]*exec.Cmd
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+url)
		cmd.Stdout, cmd.Stderr = &outputs[i], &outputs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = cmd
	}
	for i, cmd := range children {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("replica %d: %v\n%s", i, err, outputs[i].String())
		}
	}
	target, _ := models.ResolveDatabase(url, "")
	shared, err := models.Open(context.Background(), target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(shared)

	// Each tick has one record (the last may have been cut short by the
	// replicas' shutdown and failed), and each successful run one set of
	// results.
	runs := runsOf(t, shared, "tick")
	succeeded := 0
	for _, r := range runs {
		switch {
		case r.Status == models.JobSucceeded:
			succeeded++
		case !strings.Contains(r.Error, "shutdown"):
			t.Errorf("run %+v failed", r)
		}
	}
	if succeeded < 2 {
		t.Fatalf("%d successful runs in 3.5 s on a one-second schedule; want at least 2", succeeded)
	}
	var results []string
	shared.Model(&models.AuditEntry{}).Where("action = ?", "tick").Order("entity_id").Pluck("entity_id", &results)
	seen := map[string]bool{}
	for _, r := range results {
		if seen[r] {
			t.Errorf("the tick %s has two sets of results", r)
		}
		seen[r] = true
	}
	if len(results) != succeeded {
		t.Errorf("%d sets of results for %d successful runs", len(results), succeeded)
	}
	// Both replicas fired on every tick; between them they ran each once.
	finished := 0
	for i, out := range outputs {
		ran, skipped := strings.Count(out.String(), "job finished"), strings.Count(out.String(), "job skipped")
		if ran+skipped < 2 {
			t.Errorf("replica %d ran %d and skipped %d ticks; want it to fire on each:\n%s", i, ran, skipped, out.String())
		}
		finished += ran
		t.Logf("replica %d: ran %d ticks, skipped %d", i, ran, skipped)
	}
	if finished != succeeded {
		t.Errorf("the replicas logged %d successful runs, the database holds %d", finished, succeeded)
	}
}
