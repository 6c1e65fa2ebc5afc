package app

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"borderflow/jobs"
	"borderflow/models"
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

func newMetrics(db *gorm.DB, scheduler *jobs.Scheduler) (*metrics, error) {
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
		newJobCollector(scheduler, db),
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

// jobCollector reads each job's runs from job_runs when scraped, so every
// replica reports the same figures whichever of them ran the job.
type jobCollector struct {
	scheduler                     *jobs.Scheduler
	db                            *gorm.DB
	lastSuccess, duration, failed *prometheus.Desc
}

func newJobCollector(s *jobs.Scheduler, db *gorm.DB) *jobCollector {
	return &jobCollector{
		scheduler: s, db: db,
		lastSuccess: prometheus.NewDesc("borderflow_job_last_success_timestamp_seconds",
			"When the job's latest successful run finished (Unix time).", []string{"job"}, nil),
		duration: prometheus.NewDesc("borderflow_job_last_success_duration_seconds",
			"How long the job's latest successful run took.", []string{"job"}, nil),
		failed: prometheus.NewDesc("borderflow_job_last_run_failed",
			"1 when the job's latest finished run failed, else 0.", []string{"job"}, nil),
	}
}

func (jc *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jc.lastSuccess
	ch <- jc.duration
	ch <- jc.failed
}

func (jc *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, job := range jc.scheduler.Jobs() {
		runs, err := models.RecentJobRuns(ctx, jc.db, job.Name, 2)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(jc.failed, err)
			continue
		}
		failed := 0.0
		for _, r := range runs {
			if r.Status != models.JobRunning { // the latest finished run
				if r.Status == models.JobFailed {
					failed = 1
				}
				break
			}
		}
		ch <- prometheus.MustNewConstMetric(jc.failed, prometheus.GaugeValue, failed, job.Name)
		last, err := models.LastSuccessfulJobRun(jc.db.WithContext(ctx), job.Name)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(jc.lastSuccess, err)
			continue
		}
		if last != nil && last.FinishedAt != nil {
			ch <- prometheus.MustNewConstMetric(jc.lastSuccess, prometheus.GaugeValue, float64(last.FinishedAt.UnixMilli())/1000, job.Name)
			ch <- prometheus.MustNewConstMetric(jc.duration, prometheus.GaugeValue, last.FinishedAt.Sub(last.StartedAt).Seconds(), job.Name)
		}
	}
}
