package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"borderflow/app"
	"borderflow/models"
	"borderflow/models/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestOnlyLoopbackTargetsAreAccepted(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://127.3.4.5:80/", "http://[::1]:8080", "http://localhost:8080", "https://LOCALHOST"} {
		if _, err := CheckTarget(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "http://192.168.1.2", "https://borderflow.example.org", "http://localhost.example.org",
		"http://[::2]:80", "http://0.0.0.0:8080", "ftp://127.0.0.1", "127.0.0.1:8080", "http://127.0.0.1/?x=1"} {
		_, err := CheckTarget(bad)
		if err == nil {
			t.Errorf("%s accepted", bad)
			continue
		}
		if strings.Contains(bad, "://") && strings.HasPrefix(bad, "http") && !strings.Contains(bad, "?") && !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("%s: %q does not say why", bad, err)
		}
	}
	// Even a name that resolves elsewhere never gets a connection.
	if err := loopbackOnly("tcp", "10.1.2.3:80", nil); err == nil {
		t.Error("the dialer would connect to 10.1.2.3")
	}
}

// A short run against a real server: bounded by its request count, no
// errors, every kind of request in the mix sent, and each acknowledged
// write logged and found in the database.
func TestARunIsBoundedAndItsWritesAreLoggedAndStored(t *testing.T) {
	url := testdb.PostgresURL(t)
	cfg, err := app.LoadConfig(func(name string) string {
		return map[string]string{"BORDERFLOW_DATABASE_URL": url, "BORDERFLOW_JOBS": "off",
			"BORDERFLOW_TRUSTED_PROXIES": "127.0.0.1/32"}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogOutput, cfg.Stdout = io.Discard, io.Discard
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := models.CreateUser(ctx, a.DB(), models.NewUser{Username: "officer", Password: "a long enough password 1",
		Role: models.RoleOfficer, CrossingSlugs: []string{"torkham"}}, models.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	token, _, err := models.CreateAPIToken(ctx, a.DB(), "officer", "loadgen", models.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Run(serveCtx, ln) }()
	defer func() { stop(); <-served }()

	var log bytes.Buffer
	report, err := Run(ctx, Config{Targets: []string{"http://" + ln.Addr().String()}, Clients: 8, Duration: time.Minute,
		MaxRequests: 300, Timeout: 10 * time.Second, Writers: 2, Tokens: []Token{{"torkham", token}},
		Categories: []string{"coal", "cement"}, ForwardedFor: true, WriteLog: &log, Revalidate: time.Minute, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if report.Requests != 300 {
		t.Errorf("%d requests, want the 300 of the budget", report.Requests)
	}
	if report.ErrorCount() != 0 {
		t.Errorf("errors %v: %v", report.Errors, report.FirstErrors)
	}
	for _, kind := range []string{"board", "board-revalidate", "crossing", "api-figures", "api-status-history", "feed", "write-figures", "write-status"} {
		if k, ok := report.Kind(kind); !ok || k.Count == 0 || k.P99 <= 0 || k.Max < k.P50 {
			t.Errorf("kind %s: %+v", kind, k)
		}
	}
	sc := bufio.NewScanner(&log)
	logged := 0
	for sc.Scan() {
		var w Write
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		logged++
		table, column := "audit_log", "detail"
		if w.Kind == "status" {
			table, column = "status_changes", "note"
		}
		var n int64
		if err := a.DB().Table(table).Where(column+" = ?", w.ID).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("write %s: %d rows in %s (%v)", w.ID, n, table, err)
		}
	}
	if logged != report.Writes || logged == 0 {
		t.Errorf("%d writes logged, %d acknowledged", logged, report.Writes)
	}
}
