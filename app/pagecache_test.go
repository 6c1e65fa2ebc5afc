package app

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// When a page expires under load, the requests that arrive while it is
// being rendered wait for that one render: the database is read once, and
// every request gets the same page.
func TestPageCacheRendersOnceForConcurrentRequests(t *testing.T) {
	pc := newPageCache()
	var renders atomic.Int32
	release := make(chan struct{})
	render := func() (*renderedPage, error) {
		renders.Add(1)
		<-release
		return &renderedPage{status: http.StatusOK, body: []byte("board"), expires: time.Now().Add(time.Minute)}, nil
	}
	const requests = 20
	pages := make([]*renderedPage, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			p, err := pc.load("en /", time.Now(), render)
			if err != nil {
				t.Error(err)
			}
			pages[i] = p
		})
	}
	time.Sleep(100 * time.Millisecond) // let every request reach the cache
	close(release)
	wg.Wait()
	if n := renders.Load(); n != 1 {
		t.Errorf("%d renders for %d concurrent requests, want 1", n, requests)
	}
	for i, p := range pages {
		if p != pages[0] {
			t.Fatalf("request %d got a different page", i)
		}
	}
	if p, _ := pc.load("en /", time.Now(), render); p != pages[0] || renders.Load() != 1 {
		t.Error("the rendered page was not kept for the next request")
	}
}

// A write during a render may not be in it: the page is given to the
// requests that were waiting, but the next request renders afresh.
func TestPageCacheDropsARenderOverlappingAWrite(t *testing.T) {
	pc := newPageCache()
	var renders atomic.Int32
	render := func() (*renderedPage, error) {
		if renders.Add(1) == 1 {
			pc.invalidate() // a status change saved while the page was being read
		}
		return &renderedPage{status: http.StatusOK, expires: time.Now().Add(time.Minute)}, nil
	}
	if _, err := pc.load("en /", time.Now(), render); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.load("en /", time.Now(), render); err != nil {
		t.Fatal(err)
	}
	if n := renders.Load(); n != 2 {
		t.Errorf("%d renders, want 2: the page rendered across a write was kept", n)
	}
}

// While serving, request log lines are written in batches; none is lost,
// and all are written by the time Run returns.
func TestServedRequestsAreLoggedByShutdown(t *testing.T) {
	logs := &syncBuffer{}
	a := newSQLiteApp(t)
	a.cfg.LogOutput = logs
	a.log = NewLogger(a.cfg)
	base, stop := startApp(t, a)
	const requests = 30
	for range requests {
		fetchBody(t, base+"/healthz")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := strings.Count(logs.String(), "path=/healthz"); n != requests {
		t.Errorf("%d request lines in the log, want %d:\n%s", n, requests, logs.String())
	}
}

// After a write, the one request that renders the page waits for it; the
// others arriving meanwhile get the previous copy at once rather than
// queueing behind the render.
func TestPageCacheServesThePreviousCopyWhileOneRequestRenders(t *testing.T) {
	pc := newPageCache()
	old := &renderedPage{status: http.StatusOK, body: []byte("before"), expires: time.Now().Add(time.Minute)}
	if _, err := pc.load("en /", time.Now(), func() (*renderedPage, error) { return old, nil }); err != nil {
		t.Fatal(err)
	}
	pc.invalidate()
	release, started := make(chan struct{}), make(chan struct{})
	fresh := &renderedPage{status: http.StatusOK, body: []byte("after"), expires: time.Now().Add(time.Minute)}
	leader := make(chan *renderedPage)
	go func() {
		p, _ := pc.load("en /", time.Now(), func() (*renderedPage, error) {
			close(started)
			<-release
			return fresh, nil
		})
		leader <- p
	}()
	<-started
	p, err := pc.load("en /", time.Now(), func() (*renderedPage, error) {
		t.Error("a second render while one is under way")
		return fresh, nil
	})
	if err != nil || p != old {
		t.Errorf("during the render: got %q, want the previous copy at once", p.body)
	}
	close(release)
	if p := <-leader; p != fresh {
		t.Errorf("the rendering request got %q, want the new page", p.body)
	}
	if p, _ := pc.load("en /", time.Now(), nil); p != fresh {
		t.Errorf("after the render: %q", p.body)
	}
}
