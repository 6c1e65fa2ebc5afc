// Package deploy holds the files that run borderflow in production: the
// Caddyfile and an example environment for docker-compose.yml. Its test
// checks that the compose file keeps the production shape.
package deploy

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
	Volumes map[string]any `yaml:"volumes"`
}

type service struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
	Volumes  []string `yaml:"volumes"`
	Ports    []string `yaml:"ports"`
	ReadOnly bool     `yaml:"read_only"`
	Tmpfs    []string `yaml:"tmpfs"`
	Networks []string `yaml:"networks"`
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The shape docs/OPERATIONS.md describes: PostgreSQL with a volume and a
// health check, a migration that runs once, two replicas that start after
// both, and Caddy in front of them.
func TestComposeFileKeepsTheProductionShape(t *testing.T) {
	text := read(t, "../docker-compose.yml")
	var c composeFile
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	db, ok := c.Services["db"]
	_, named := c.Volumes["pgdata"]
	if !ok || !strings.HasPrefix(db.Image, "postgres:") || len(db.Healthcheck.Test) == 0 || !named || !slices.Contains(db.Volumes, "pgdata:/var/lib/postgresql/data") {
		t.Errorf("db: %+v; want PostgreSQL with a named volume and a health check", db)
	}
	migrate := c.Services["migrate"]
	if !slices.Equal(migrate.Command, []string{"migrate", "up"}) || migrate.DependsOn["db"].Condition != "service_healthy" {
		t.Errorf("migrate: %+v; want borderflow migrate up once the database is healthy", migrate)
	}
	subnet := ""
	for _, n := range c.Networks {
		for _, cfg := range n.IPAM.Config {
			subnet = cfg.Subnet
		}
	}
	for _, name := range []string{"app1", "app2"} {
		app, ok := c.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if app.Image != migrate.Image {
			t.Errorf("%s runs %q, the migration %q; want one image", name, app.Image, migrate.Image)
		}
		if !slices.Equal(app.Healthcheck.Test, []string{"CMD", "/borderflow", "healthcheck"}) {
			t.Errorf("%s: health check %v", name, app.Healthcheck.Test)
		}
		if app.DependsOn["db"].Condition != "service_healthy" || app.DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s: depends_on %+v; want the database healthy and the migration completed", name, app.DependsOn)
		}
		if !app.ReadOnly || !slices.Contains(app.Tmpfs, "/tmp") {
			t.Errorf("%s: read_only %v, tmpfs %v; want a read-only file system with /tmp for uploads", name, app.ReadOnly, app.Tmpfs)
		}
		if subnet == "" || app.Environment["BORDERFLOW_TRUSTED_PROXIES"] != subnet {
			t.Errorf("%s trusts %q, the network is %q", name, app.Environment["BORDERFLOW_TRUSTED_PROXIES"], subnet)
		}
		if len(app.Ports) > 0 {
			t.Errorf("%s publishes %v; only Caddy should face the outside", name, app.Ports)
		}
	}
	caddy := c.Services["caddy"]
	if caddy.Image != "caddy:2" || !slices.Contains(caddy.Volumes, "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro") {
		t.Errorf("caddy: %+v", caddy)
	}
	caddyfile := read(t, "Caddyfile")
	for _, want := range []string{"reverse_proxy app1:8080 app2:8080", "health_uri /readyz", "{$DOMAIN::80}"} {
		if !strings.Contains(caddyfile, want) {
			t.Errorf("the Caddyfile lacks %q", want)
		}
	}
	// Secrets come from the environment: every password is interpolated.
	for _, m := range regexp.MustCompile(`(?i)(password[A-Z_]*: |borderflow:)([^@\s]*)@?`).FindAllStringSubmatch(text, -1) {
		if m[2] != "" && !strings.HasPrefix(m[2], "${") {
			t.Errorf("a secret is written in docker-compose.yml: %q", m[0])
		}
	}
}

func TestDockerfileStampsTheVersionAndChecksHealth(t *testing.T) {
	text := read(t, "../Dockerfile")
	for _, want := range []string{"ARG VERSION", "-X main.version=${VERSION}", `CMD ["/borderflow", "healthcheck"]`, "USER nonroot", "distroless"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
}
