package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// Once the impact job has run, the board shows the running cost of a
// closure under way as a range, the crossing page lists every episode with
// its costs, and both link to the method, which /method shows in full.
func TestClosureCostsOnTheBoardAndTheCrossingPage(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		a := newTestApp(t, url)
		now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		a.now = func() time.Time { return now }
		ctx := context.Background()
		if _, err := models.LoadDemo(ctx, a.DB(), models.DemoOptions{Days: 120, End: models.DateOf(now, a.cfg.TimeZone).AddDays(-1), Now: now, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		if board := get(t, a, "/").Body.String(); strings.Contains(board, `class="cost"`) {
			t.Fatal("the board shows a cost before any was computed")
		}
		if _, err := models.RecomputeImpactAsOf(ctx, a.DB(), models.Date{}, models.Date{}, now); err != nil {
			t.Fatal(err)
		}
		a.pages.invalidate()
		doc := page(t, get(t, a, "/"))
		chaman := doc.Find("#crossing-chaman .cost")
		if chaman.Length() != 1 || !strings.Contains(chaman.Text(), "US$") || !strings.Contains(chaman.Text(), "central estimate") {
			t.Errorf("Chaman, closed now, shows no running cost: %q", chaman.Text())
		}
		if href, _ := chaman.Find("a").Attr("href"); href != "/method" {
			t.Errorf("the cost links to %q, want /method", href)
		}
		if doc.Find("#crossing-torkham .cost").Length() != 0 {
			t.Error("Torkham, open now, shows a running cost")
		}

		crossing := page(t, get(t, a, "/crossings/torkham"))
		rows := crossing.Find("table.costs tbody tr")
		if rows.Length() < 2 {
			t.Fatalf("Torkham's page lists %d estimated closures, want its two demo closures", rows.Length())
		}
		first := rows.First().Text()
		if strings.Count(first, "US$") < 4 {
			t.Errorf("a closure's costs are not given as a range with the other terms: %q", first)
		}

		method := page(t, get(t, a, "/method"))
		if !strings.Contains(method.Find("pre.methodology").Text(), "Baseline") {
			t.Error("/method does not show the methodology")
		}
	})
}

// The board shows a closure's new cost as soon as the impact job has
// written it, not when the cached page expires: the job's run drops the
// pages of its own server, and on PostgreSQL every other server's too.
func TestANewCostReachesEveryBoardOnceTheJobHasRun(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		a := newTestApp(t, url)
		ctx := context.Background()
		now := time.Now()
		if _, err := models.LoadDemo(ctx, a.DB(), models.DemoOptions{Days: 120, End: models.DateOf(now, a.cfg.TimeZone).AddDays(-1), Now: now, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		boards := map[string]func() string{"this server's": func() string { return get(t, a, "/").Body.String() }}
		if models.Dialect(a.DB()) == models.DialectPostgres {
			other := runApp(t, newTestApp(t, url))
			boards["another server's"] = func() string { return fetchBody(t, other+"/") }
			// Its listener is connected once a change shows on its board;
			// until then its pages may be dropped for that alone.
			torkham, err := models.CrossingBySlug(ctx, a.DB(), "torkham")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.RecordStatusChange(ctx, a.DB(), models.Actor{Name: "test"}, models.StatusInput{
				CrossingID: torkham.ID, State: models.StateOpen, Note: "Queues cleared",
			}, time.Now()); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(fetchBody(t, other+"/"), "Queues cleared"); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the other server's board did not show a status change within 5 s")
				}
			}
		}
		for which, board := range boards {
			if !strings.Contains(board(), `id="crossing-chaman"`) || strings.Contains(board(), `class="cost"`) {
				t.Fatalf("%s board before the job: want Chaman without a cost", which)
			}
		}
		if _, err := a.scheduler.RunNow(ctx, "impact", jobsTestManual()); err != nil {
			t.Fatal(err)
		}
		ran := time.Now()
		for which, board := range boards {
			for !strings.Contains(board(), `class="cost"`) {
				if time.Since(ran) > time.Second {
					t.Fatalf("%s board shows no cost 1 s after the impact job wrote one (the cached page was kept)", which)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
}
