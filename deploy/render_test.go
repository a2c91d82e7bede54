package deploy_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// blueprint is the part of Render's Blueprint spec render.yaml uses;
// decoding is strict, so a misspelt or unexpected field fails.
type blueprint struct {
	Services []renderService `json:"services"`
}

type renderService struct {
	Type                    string      `json:"type"`
	Name                    string      `json:"name"`
	Runtime                 string      `json:"runtime"`
	DockerfilePath          string      `json:"dockerfilePath"`
	DockerContext           string      `json:"dockerContext"`
	Region                  string      `json:"region"`
	Plan                    string      `json:"plan"`
	NumInstances            int         `json:"numInstances"`
	HealthCheckPath         string      `json:"healthCheckPath"`
	PreDeployCommand        string      `json:"preDeployCommand"`
	MaxShutdownDelaySeconds int         `json:"maxShutdownDelaySeconds"`
	EnvVars                 []renderEnv `json:"envVars"`
}

type renderEnv struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
	Sync  *bool   `json:"sync"`
}

func TestRenderBlueprint(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "render.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// YAML to JSON refuses repeated keys; sigs.k8s.io/json then matches
	// field names exactly, as Render does, unlike encoding/json.
	js, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		t.Fatalf("render.yaml: %v", err)
	}
	var bp blueprint
	strict, err := sigsjson.UnmarshalStrict(js, &bp, sigsjson.DisallowUnknownFields)
	if err := errors.Join(append(strict, err)...); err != nil {
		t.Fatalf("render.yaml: %v", err)
	}
	if len(bp.Services) != 1 || bp.Services[0].Type != "web" {
		t.Fatalf("render.yaml has services %+v; want one web service", bp.Services)
	}
	svc := bp.Services[0]
	d := parseDockerfile(t)
	if svc.Runtime != "docker" || filepath.Clean(svc.DockerfilePath) != "Dockerfile" || filepath.Clean(svc.DockerContext) != "." {
		t.Errorf("runtime %q, dockerfilePath %q, dockerContext %q; want the top-level Dockerfile", svc.Runtime, svc.DockerfilePath, svc.DockerContext)
	}
	if svc.NumInstances < 2 {
		t.Errorf("numInstances %d; want at least 2", svc.NumInstances)
	}
	if pre := strings.Fields(svc.PreDeployCommand); len(pre) != 2 || pre[0] != d.binary || pre[1] != "migrate" {
		t.Errorf("preDeployCommand %q; want %s migrate", svc.PreDeployCommand, d.binary)
	}

	env := map[string]string{}
	var names []string
	for _, v := range svc.EnvVars {
		names = append(names, v.Key)
		switch {
		case v.Value != nil && v.Sync == nil:
			env[v.Key] = *v.Value
		case v.Value == nil && v.Sync != nil && !*v.Sync:
			secret, ok := testSecrets[v.Key]
			if !ok {
				t.Errorf("%s is set in the dashboard (sync: false), but is no secret", v.Key)
			}
			env[v.Key] = secret
		default:
			t.Errorf("%s: want either a value or sync: false", v.Key)
		}
	}
	checkKnown(t, "render.yaml", names)
	for name := range testSecrets {
		if _, ok := env[name]; !ok {
			t.Errorf("render.yaml does not ask for %s (sync: false)", name)
		}
	}
	if env["ENV"] != "production" {
		t.Errorf("ENV=%q; want production", env["ENV"])
	}
	if env["TRUSTED_PROXIES"] == "" {
		t.Error("TRUSTED_PROXIES is unset: behind Render's proxy every client would share its address")
	}
	cfg := loadConfig(t, "serve", env)
	if migrate := loadConfig(t, "migrate", env); migrate.DatabaseDirectURL == "" {
		t.Error("migrate gets no DATABASE_DIRECT_URL")
	}

	// Render sends SIGTERM, then SIGKILL maxShutdownDelaySeconds later
	// (at most 300).
	limit := time.Duration(svc.MaxShutdownDelaySeconds) * time.Second
	if svc.MaxShutdownDelaySeconds < 1 || svc.MaxShutdownDelaySeconds > 300 || cfg.DrainDelay+cfg.ShutdownTimeout >= limit {
		t.Errorf("DRAIN_DELAY %s + SHUTDOWN_TIMEOUT %s do not fit in maxShutdownDelaySeconds %d", cfg.DrainDelay, cfg.ShutdownTimeout, svc.MaxShutdownDelaySeconds)
	}

	// The health check path is served with these settings, with no
	// database: it must not fail deploys while the database is away.
	if svc.HealthCheckPath != "/live" {
		t.Errorf("healthCheckPath %q; want /live, which touches no database", svc.HealthCheckPath)
	}
	env["HOST"], env["PORT"] = "127.0.0.1", "0" // Render sets PORT
	cmd := exec.Command(staticBinary(t), "serve")
	cmd.Env = environ(env)
	p := serve(t, cmd)
	if code := p.get(t, svc.HealthCheckPath); code != 200 {
		t.Errorf("GET %s = %d without a database; want 200", svc.HealthCheckPath, code)
	}
}
