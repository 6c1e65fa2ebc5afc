package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// startApp serves a on a loopback port through App.Run, as borderflow
// serve does (its server settings, its batched request log). It returns the
// base URL and stop, which shuts the App down and returns what Run returned.
func startApp(t testing.TB, a *App) (base string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx, ln) }()
	return "http://" + ln.Addr().String(), func() error {
		cancel()
		return <-ran
	}
}

// runApp is startApp until the test or benchmark ends.
func runApp(t testing.TB, a *App) string {
	t.Helper()
	base, stop := startApp(t, a)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return base
}

func fetchBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// Two servers on one PostgreSQL: a closure written anywhere (here straight
// through the models, as an import or another replica would) shows on the
// other server's cached board within a second.
func TestAChangeReachesAnotherReplicasBoardWithinASecond(t *testing.T) {
	url := testdb.PostgresURL(t)
	writer, reader := newTestApp(t, url), newTestApp(t, url)
	base := runApp(t, reader)
	runApp(t, writer)
	if board := fetchBody(t, base+"/"); strings.Contains(board, "Protest at the gate") {
		t.Fatal("the closure is on the board before it was recorded")
	}
	torkham, err := models.CrossingBySlug(context.Background(), writer.DB(), "torkham")
	if err != nil {
		t.Fatal(err)
	}
	reason := models.Reason("protest")
	if _, err := models.RecordStatusChange(context.Background(), writer.DB(), models.Actor{Name: "test"}, models.StatusInput{
		CrossingID: torkham.ID, State: models.StateClosed, Reason: &reason, Note: "Protest at the gate",
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	recorded := time.Now()
	for !strings.Contains(fetchBody(t, base+"/"), "Protest at the gate") {
		if time.Since(recorded) > time.Second {
			t.Fatal("the other server's board did not show the closure within 1 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("shown on the other server after %v", time.Since(recorded).Round(time.Millisecond))
}

// The embedded database is served by one process: a second server on the
// same file is refused with a message that says why, and may start once the
// first has stopped.
func TestASecondServerOnTheEmbeddedDatabaseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "borderflow.db")
	first := newTestApp(t, "sqlite:"+path)
	cfg := first.cfg
	if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "already served by process") {
		t.Fatalf("second server on the same file: %v, want a refusal naming the process", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	_ = second.Close()
}
