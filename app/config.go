package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"borderflow/jobs"
	"borderflow/models"
)

// Config is borderflow's configuration, read from BORDERFLOW_* environment
// variables and the flags of serve.
type Config struct {
	DatabaseURL    string
	DataDir        string
	Addr           string
	BaseURL        string
	TimeZone       *time.Location
	Jobs           bool
	JobSchedules   map[string]string // operators' schedules by job name, replacing the defaults
	Demo           bool              // load demo data into an empty embedded database at start
	TrustedProxies []*net.IPNet
	LogFormat      string        // "text" or "json"
	UrduDigits     string        // "western" or "eastern"
	StaleAfter     time.Duration // a crossing with no update for longer is flagged as stale
	ReportLicense  string        // the data licence printed on every weekly summary
	ReportCitation string        // how to cite a summary; {crossing}, {week} and {revision} are filled in

	Database models.DatabaseTarget // resolved from DatabaseURL and DataDir

	// Where the server writes its logs and one-off notices (the demo
	// administrator's password); os.Stderr and os.Stdout unless set.
	LogOutput io.Writer
	Stdout    io.Writer
}

// setting is one configuration value: its variable, flag, default and help.
type setting struct {
	env, flag, def, help string
}

var settings = []setting{
	{"BORDERFLOW_DATABASE_URL", "database-url", "", "a postgres:// URL, or sqlite:PATH; unset: the embedded database in the data directory"},
	{"BORDERFLOW_DATA_DIR", "data-dir", "./data", "directory of the embedded database"},
	{"BORDERFLOW_ADDR", "addr", ":8080", "address to listen on"},
	{"BORDERFLOW_BASE_URL", "base-url", "", "public URL of the site, for links in feeds and downloads (e.g. https://borderflow.example.org)"},
	{"BORDERFLOW_TIMEZONE", "timezone", "Asia/Karachi", "time zone of schedules and default crossing days"},
	{"BORDERFLOW_JOBS", "jobs", "on", "run the scheduled jobs in this process: on or off"},
	{"BORDERFLOW_JOB_SCHEDULES", "job-schedules", "", "schedules replacing the jobs' defaults, as NAME=SCHEDULE, comma-separated (e.g. \"impact=@every 15m, stale-data=@hourly\")"},
	{"BORDERFLOW_DEMO", "demo", "", "load demo data into an empty embedded database at first start: on or off (default on for the embedded database, never for PostgreSQL)"},
	{"BORDERFLOW_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is believed"},
	{"BORDERFLOW_LOG_FORMAT", "log-format", "text", "log format: text or json"},
	{"BORDERFLOW_URDU_DIGITS", "urdu-digits", "western", "digits of the Urdu pages: western (0123) or eastern (۰۱۲۳)"},
	{"BORDERFLOW_STALE_AFTER", "stale-after", "36h", "flag a crossing as stale when neither its status nor its figures have been updated for this long (e.g. 36h)"},
	{"BORDERFLOW_REPORT_LICENSE", "report-license", models.DefaultReportLicense, "data licence printed on every weekly summary and in each file's metadata"},
	{"BORDERFLOW_REPORT_CITATION", "report-citation", models.DefaultReportCitation, "how to cite a weekly summary; {crossing}, {week} and {revision} are filled in"},
}

// LoadConfig reads the configuration from the environment. Every invalid
// value is refused with a message naming its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	return resolveConfig(getenv, nil)
}

// configFlags registers a flag for each setting on fs; once fs is parsed,
// load reads the environment with the flags that were set taking precedence.
func configFlags(fs *flag.FlagSet) (load func(getenv func(string) string) (Config, error)) {
	given := map[string]*string{}
	for _, s := range settings {
		given[s.env] = fs.String(s.flag, "", s.help+" ("+s.env+")")
	}
	return func(getenv func(string) string) (Config, error) {
		overrides := map[string]string{}
		fs.Visit(func(f *flag.Flag) {
			for _, s := range settings {
				if s.flag == f.Name {
					overrides[s.env] = *given[s.env]
				}
			}
		})
		return resolveConfig(getenv, overrides)
	}
}

func resolveConfig(getenv func(string) string, overrides map[string]string) (Config, error) {
	values := map[string]string{}
	for _, s := range settings {
		values[s.env] = s.def
		if v := getenv(s.env); v != "" {
			values[s.env] = strings.TrimSpace(v)
		}
		if v, ok := overrides[s.env]; ok {
			values[s.env] = strings.TrimSpace(v)
		}
	}
	return parseConfig(values)
}

func parseConfig(v map[string]string) (Config, error) {
	cfg := Config{
		DatabaseURL:    v["BORDERFLOW_DATABASE_URL"],
		DataDir:        v["BORDERFLOW_DATA_DIR"],
		Addr:           v["BORDERFLOW_ADDR"],
		BaseURL:        strings.TrimRight(v["BORDERFLOW_BASE_URL"], "/"),
		LogFormat:      v["BORDERFLOW_LOG_FORMAT"],
		UrduDigits:     v["BORDERFLOW_URDU_DIGITS"],
		ReportLicense:  v["BORDERFLOW_REPORT_LICENSE"],
		ReportCitation: v["BORDERFLOW_REPORT_CITATION"],
		LogOutput:      os.Stderr,
		Stdout:         os.Stdout,
	}
	var err error
	if cfg.Database, err = models.ResolveDatabase(cfg.DatabaseURL, cfg.DataDir); err != nil {
		return Config{}, err
	}
	if _, port, err := net.SplitHostPort(cfg.Addr); err != nil || port == "" {
		return Config{}, fmt.Errorf("BORDERFLOW_ADDR %q must be host:port or :port, such as :8080", cfg.Addr)
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("BORDERFLOW_BASE_URL %q must be an absolute http:// or https:// URL", cfg.BaseURL)
		}
	}
	if cfg.TimeZone, err = time.LoadLocation(v["BORDERFLOW_TIMEZONE"]); err != nil || v["BORDERFLOW_TIMEZONE"] == "" {
		return Config{}, fmt.Errorf("BORDERFLOW_TIMEZONE %q is not a known time zone; use a name such as Asia/Karachi", v["BORDERFLOW_TIMEZONE"])
	}
	if cfg.Jobs, err = onOff("BORDERFLOW_JOBS", v["BORDERFLOW_JOBS"]); err != nil {
		return Config{}, err
	}
	if cfg.JobSchedules, err = jobs.ParseSchedules(v["BORDERFLOW_JOB_SCHEDULES"]); err != nil {
		return Config{}, fmt.Errorf("BORDERFLOW_JOB_SCHEDULES: %w", err)
	}
	embedded := cfg.Database.Dialect == models.DialectSQLite
	switch demo := v["BORDERFLOW_DEMO"]; demo {
	case "":
		cfg.Demo = embedded
	default:
		if cfg.Demo, err = onOff("BORDERFLOW_DEMO", demo); err != nil {
			return Config{}, err
		}
		if cfg.Demo && !embedded {
			return Config{}, errors.New("BORDERFLOW_DEMO=on applies to the embedded database only; load demo data into PostgreSQL with borderflow demo")
		}
	}
	if cfg.TrustedProxies, err = parseCIDRs(v["BORDERFLOW_TRUSTED_PROXIES"]); err != nil {
		return Config{}, err
	}
	if cfg.StaleAfter, err = time.ParseDuration(v["BORDERFLOW_STALE_AFTER"]); err != nil || cfg.StaleAfter < time.Hour {
		return Config{}, fmt.Errorf("BORDERFLOW_STALE_AFTER %q must be a duration of at least an hour, such as 36h", v["BORDERFLOW_STALE_AFTER"])
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return Config{}, fmt.Errorf("BORDERFLOW_LOG_FORMAT %q must be text or json", cfg.LogFormat)
	}
	if cfg.UrduDigits != "western" && cfg.UrduDigits != "eastern" {
		return Config{}, fmt.Errorf("BORDERFLOW_URDU_DIGITS %q must be western or eastern", cfg.UrduDigits)
	}
	return cfg, nil
}

// applyDigits gives Urdu the digits the configuration chose, before tr
// serves a page or writes a file.
func (cfg Config) applyDigits(tr *Translator) error {
	if cfg.UrduDigits == "eastern" {
		return tr.UseEasternDigits("ur")
	}
	return nil
}

// jobOptions configures the scheduler from cfg; tr labels the weekly
// summaries' files.
func (cfg Config) jobOptions(tr *Translator) jobs.Options {
	return jobs.Options{Location: cfg.TimeZone, StaleAfter: cfg.StaleAfter, Schedules: cfg.JobSchedules,
		Reports: reportOptions(cfg, tr)}
}

func onOff(name, value string) (bool, error) {
	switch strings.ToLower(value) {
	case "on", "true", "1", "yes":
		return true, nil
	case "off", "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%s %q must be on or off", name, value)
}

func parseCIDRs(list string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, fmt.Errorf("BORDERFLOW_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", item)
		}
		nets = append(nets, n)
	}
	return nets, nil
}
