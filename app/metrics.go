package app

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"
)

// metrics are what /metrics shows Prometheus (docs/OPERATIONS.md explains
// each). The registry is the App's own, so that two Apps in one test
// process do not share counters.
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	daysSaved *prometheus.CounterVec
	handler   http.Handler
}

func newMetrics(db *gorm.DB) (*metrics, error) {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "borderflow_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "borderflow_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		daysSaved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "borderflow_figure_days_saved_total",
			Help: "Crossing-days whose figures were entered or changed, by where they came from (form, api, import).",
		}, []string{"source"}),
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	m.registry.MustRegister(m.requests, m.latency, m.daysSaved,
		collectors.NewDBStatsCollector(sqlDB, "borderflow"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m, nil
}

// observeRequest counts one answered request. Routes are the router's
// patterns (/crossings/:slug), so the number of series stays fixed
// however many addresses clients try.
func (m *metrics) observeRequest(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

// figureDaysSaved counts n crossing-days saved from source.
func (m *metrics) figureDaysSaved(source string, n int) {
	m.daysSaved.WithLabelValues(source).Add(float64(n))
}

// serveMetrics answers GET /metrics for scrapers on the machine or its
// private network only; to anybody else (a client on the internet, seen
// through the proxy's X-Forwarded-For) the page does not exist.
func (a *App) serveMetrics(c echo.Context) error {
	ip := net.ParseIP(c.RealIP())
	if ip == nil || !(ip.IsLoopback() || ip.IsPrivate()) {
		return echo.ErrNotFound
	}
	a.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}
