package app

import (
	"fmt"
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
			p, err := pc.load("en /", time.Now(), true, render)
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
	if p, _ := pc.load("en /", time.Now(), true, render); p != pages[0] || renders.Load() != 1 {
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
	if _, err := pc.load("en /", time.Now(), true, render); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.load("en /", time.Now(), true, render); err != nil {
		t.Fatal(err)
	}
	if n := renders.Load(); n != 2 {
		t.Errorf("%d renders, want 2: the page rendered across a write was kept", n)
	}
}

// While writes land faster than a page renders, every render overlaps one:
// none may be served as current, but each is newer than the copy before
// it, so readers see the page move on rather than the copy from before
// the first write.
func TestPageCacheMovesOnWhileWritesOutpaceRenders(t *testing.T) {
	pc := newPageCache()
	pc.patience = 0
	page := func(body string) *renderedPage {
		return &renderedPage{status: http.StatusOK, body: []byte(body), expires: time.Now().Add(time.Minute)}
	}
	if _, err := pc.load("en /", time.Now(), true, func() (*renderedPage, error) { return page("before"), nil }); err != nil {
		t.Fatal(err)
	}
	pc.invalidate()
	var renders atomic.Int32
	render := func() (*renderedPage, error) {
		pc.invalidate() // a status change saved while the page was being read
		return page(fmt.Sprintf("render %d", renders.Add(1))), nil
	}
	for range 3 {
		if _, err := pc.load("en /", time.Now(), false, render); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			pc.mu.Lock()
			busy := len(pc.rendering) > 0
			pc.mu.Unlock()
			if !busy {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a render did not finish within 5 s")
			}
		}
	}
	p, err := pc.load("en /", time.Now(), false, render)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.body); got != "render 3" && got != "render 4" {
		t.Errorf("after 3 renders, each overlapped by a write, a reader got %q; want render 3 or later", got)
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

// After a write, the one request that renders the page, for a signed-in
// reader, waits for it; readers arriving meanwhile get the previous copy
// at once rather than queueing behind the render.
func TestPageCacheServesThePreviousCopyWhileOneRequestRenders(t *testing.T) {
	pc := newPageCache()
	old := &renderedPage{status: http.StatusOK, body: []byte("before"), expires: time.Now().Add(time.Minute)}
	if _, err := pc.load("en /", time.Now(), true, func() (*renderedPage, error) { return old, nil }); err != nil {
		t.Fatal(err)
	}
	pc.invalidate()
	release, started := make(chan struct{}), make(chan struct{})
	fresh := &renderedPage{status: http.StatusOK, body: []byte("after"), expires: time.Now().Add(time.Minute)}
	leader := make(chan *renderedPage)
	go func() {
		p, _ := pc.load("en /", time.Now(), true, func() (*renderedPage, error) {
			close(started)
			<-release
			return fresh, nil
		})
		leader <- p
	}()
	<-started
	p, err := pc.load("en /", time.Now(), false, func() (*renderedPage, error) {
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
	if p, _ := pc.load("en /", time.Now(), true, nil); p != fresh {
		t.Errorf("after the render: %q", p.body)
	}
}

// slowRenderAfterAWrite is a cache with the given patience that holds the
// copy old of "en /" from before a write, and a render of the page after
// it, fresh, that ends when release is closed.
func slowRenderAfterAWrite(t *testing.T, patience time.Duration) (pc *pageCache, old, fresh *renderedPage, release chan struct{}, render func() (*renderedPage, error)) {
	t.Helper()
	pc = newPageCache()
	pc.patience = patience
	old = &renderedPage{status: http.StatusOK, body: []byte("before"), expires: time.Now().Add(time.Minute)}
	if _, err := pc.load("en /", time.Now(), true, func() (*renderedPage, error) { return old, nil }); err != nil {
		t.Fatal(err)
	}
	pc.invalidate()
	release = make(chan struct{})
	fresh = &renderedPage{status: http.StatusOK, body: []byte("after"), expires: time.Now().Add(time.Minute)}
	render = func() (*renderedPage, error) {
		<-release
		return fresh, nil
	}
	return pc, old, fresh, release, render
}

// A reader who has the previous copy waits for the new render at most the
// patience, then gets that copy; the render goes on and the next request
// gets the new page without another render.
func TestPageCacheStopsWaitingForASlowRender(t *testing.T) {
	pc, old, fresh, release, slowRender := slowRenderAfterAWrite(t, 20*time.Millisecond)
	var renders atomic.Int32
	render := func() (*renderedPage, error) {
		renders.Add(1)
		return slowRender()
	}
	start := time.Now()
	p, err := pc.load("en /", time.Now(), false, render)
	if err != nil || p != old {
		t.Fatalf("with a render that does not end: got %q, %v; want the previous copy", p.body, err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("gave up after %v, before its patience of 20ms", waited)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if p, _ := pc.load("en /", time.Now(), false, render); p == fresh {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the render that went on after the reader stopped waiting was never kept")
		}
		time.Sleep(time.Millisecond)
	}
	if n := renders.Load(); n != 1 {
		t.Errorf("%d renders, want 1", n)
	}
}

// A staff member who may just have made the change waits for the render
// of it, also when a reader's request started that render.
func TestPageCacheStaffWaitForTheRenderAReaderStarted(t *testing.T) {
	pc, old, fresh, release, render := slowRenderAfterAWrite(t, 10*time.Millisecond)
	if p, _ := pc.load("en /", time.Now(), false, render); p != old {
		t.Fatalf("the reader who started the render got %q, want the previous copy after its patience", p.body)
	}
	staff := make(chan *renderedPage, 1)
	go func() {
		p, _ := pc.load("en /", time.Now(), true, render)
		staff <- p
	}()
	select {
	case p := <-staff:
		t.Fatalf("staff got %q before the render of the change ended", p.body)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if p := <-staff; p != fresh {
		t.Errorf("staff got %q, want the new page", p.body)
	}
}

// A render panicking on its own goroutine fails the requests for that page
// with an error, not the whole server.
func TestPageCacheTurnsARenderPanicIntoAnError(t *testing.T) {
	pc := newPageCache()
	_, err := pc.load("en /", time.Now(), true, func() (*renderedPage, error) { panic("template bug") })
	if err == nil || !strings.Contains(err.Error(), "template bug") {
		t.Fatalf("got %v, want the panic as an error", err)
	}
	ok := &renderedPage{status: http.StatusOK, expires: time.Now().Add(time.Minute)}
	if p, err := pc.load("en /", time.Now(), true, func() (*renderedPage, error) { return ok, nil }); err != nil || p != ok {
		t.Errorf("after the panic: %v, %v; want the page rendered again", p, err)
	}
}
