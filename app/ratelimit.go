package app

import (
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// A client of the API and the feeds may make ten requests a second, in
// bursts of up to forty (a tool fetching every crossing's figures at once),
// and is forgotten after three idle minutes. Each replica counts its own.
const (
	clientRate  = 10
	clientBurst = 40
	clientIdle  = 3 * time.Minute
)

// clientLimiter keeps a token bucket per client. It stands in for echo's
// memory store, which can neither say when the next request would pass (for
// Retry-After) nor run on the App's clock (so that a test can hold time still).
type clientLimiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*clientBucket
	swept   time.Time
}

type clientBucket struct {
	tokens   *rate.Limiter
	lastSeen time.Time
}

// rateLimitedError says how long a refused client must wait.
type rateLimitedError struct{ wait time.Duration }

func (e rateLimitedError) Error() string { return "rate limit exceeded; retry in " + e.wait.String() }

func newClientLimiter(now func() time.Time) *clientLimiter {
	return &clientLimiter{limit: clientRate, burst: clientBurst, idle: clientIdle, now: now,
		buckets: map[string]*clientBucket{}}
}

// Allow takes a token from the client's bucket; when there is none, the
// error says when there will be. It is echo's middleware.RateLimiterStore.
func (l *clientLimiter) Allow(client string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > l.idle {
		for key, b := range l.buckets {
			if now.Sub(b.lastSeen) > l.idle {
				delete(l.buckets, key)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[client]
	if !ok {
		b = &clientBucket{tokens: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[client] = b
	}
	b.lastSeen = now
	if b.tokens.AllowN(now, 1) {
		return true, nil
	}
	missing := 1 - b.tokens.TokensAt(now)
	return false, rateLimitedError{wait: time.Duration(missing / float64(l.limit) * float64(time.Second))}
}

// rateLimit refuses a client that exceeds its bucket with 429, a
// Retry-After in whole seconds and the API's error shape.
func (a *App) rateLimit(l *clientLimiter) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               l,
		IdentifierExtractor: func(c echo.Context) (string, error) { return clientKey(c.RealIP()), nil },
		DenyHandler: func(c echo.Context, _ string, err error) error {
			seconds := 1
			var limited rateLimitedError
			if errors.As(err, &limited) {
				seconds = max(1, int(math.Ceil(limited.wait.Seconds())))
			}
			c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
			return &requestError{status: http.StatusTooManyRequests,
				message: a.locale(c).T("error.rate_limited", "Seconds", seconds)}
		},
	})
}

// clientKey is the bucket of a client address. An IPv6 client usually holds
// a whole /64, so the /64 is one client; an IPv4 address is one client,
// however it is written.
func clientKey(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil:
		return ip
	case parsed.To4() != nil:
		return parsed.To4().String()
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
