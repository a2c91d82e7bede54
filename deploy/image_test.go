package deploy_test

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// dockerfile is what the tests need from the Dockerfile.
type dockerfile struct {
	stages      [][]instruction
	builderFrom string
	finalFrom   string
	buildRun    string   // the builder's RUN that builds the binary
	binary      string   // where the final stage puts it
	uid, gid    uint32   // the final stage's USER
	healthcheck []string // exec form
	cmd         []string // exec form
	expose      string
	port        string // ENV PORT
}

type instruction struct{ name, args string }

// parseDockerfile reads the instructions of each stage: continuation lines
// joined, comments dropped.
func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var d dockerfile
	var pending string
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending += cont + " "
			continue
		}
		full := pending + trimmed
		pending = ""
		name, args, _ := strings.Cut(full, " ")
		name = strings.ToUpper(name)
		if name == "FROM" {
			d.stages = append(d.stages, nil)
		}
		if len(d.stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", name)
		}
		d.stages[len(d.stages)-1] = append(d.stages[len(d.stages)-1], instruction{name, strings.TrimSpace(args)})
	}
	if len(d.stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s); want a builder and a final stage", len(d.stages))
	}
	image := func(from string) string { return strings.Fields(from)[0] }
	d.builderFrom = image(d.stages[0][0].args)
	final := d.stages[len(d.stages)-1]
	d.finalFrom = image(final[0].args)
	for _, in := range d.stages[0] {
		if in.name == "RUN" && strings.Contains(in.args, "make static") {
			d.buildRun = in.args
		}
	}
	for _, in := range final {
		switch in.name {
		case "COPY":
			f := strings.Fields(in.args)
			d.binary = f[len(f)-1]
		case "USER":
			u, g, _ := strings.Cut(in.args, ":")
			uid, err := strconv.ParseUint(u, 10, 32)
			if err != nil {
				t.Fatalf("Dockerfile: USER %q is not numeric (runAsNonRoot can only verify a number)", in.args)
			}
			d.uid, d.gid = uint32(uid), uint32(uid)
			if g != "" {
				gid, err := strconv.ParseUint(g, 10, 32)
				if err != nil {
					t.Fatalf("Dockerfile: USER group %q is not numeric", g)
				}
				d.gid = uint32(gid)
			}
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(in.args, "CMD ")
			if !ok || json.Unmarshal([]byte(cmd), &d.healthcheck) != nil {
				t.Fatalf("Dockerfile: HEALTHCHECK %q is not CMD in exec form", in.args)
			}
		case "CMD":
			if json.Unmarshal([]byte(in.args), &d.cmd) != nil {
				t.Fatalf("Dockerfile: CMD %q is not in exec form", in.args)
			}
		case "EXPOSE":
			d.expose = in.args
		case "ENV":
			if v, ok := strings.CutPrefix(in.args, "PORT="); ok {
				d.port = v
			}
		}
	}
	return d
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	d := parseDockerfile(t)

	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "golang:" + string(goVersion[1]); d.builderFrom != want && !strings.HasPrefix(d.builderFrom, want+"-") {
		t.Errorf("builder FROM %s; want %s, the Go of go.mod", d.builderFrom, want)
	}
	if !strings.HasPrefix(d.finalFrom, "gcr.io/distroless/static") && d.finalFrom != "scratch" {
		t.Errorf("final FROM %s; want distroless static or scratch", d.finalFrom)
	}
	if d.uid == 0 || d.gid == 0 {
		t.Errorf("final USER %d:%d; want a user and group other than root", d.uid, d.gid)
	}
	if d.binary == "" || len(d.cmd) < 2 || d.cmd[0] != d.binary || d.cmd[1] != "serve" {
		t.Errorf("CMD %q; want [%s serve]", d.cmd, d.binary)
	}
	if len(d.healthcheck) < 2 || d.healthcheck[0] != d.binary || d.healthcheck[1] != "probe" {
		t.Errorf("HEALTHCHECK CMD %q; want [%s probe], no shell", d.healthcheck, d.binary)
	}
	if d.expose == "" || d.expose != d.port {
		t.Errorf("EXPOSE %q and ENV PORT=%q; want the same port", d.expose, d.port)
	}

	// The builder builds with make static, and make static with these.
	if d.buildRun == "" {
		t.Fatal("no RUN of make static in the builder stage")
	}
	dry := exec.Command("make", "-n", "static", "BIN=/out/hiremebahamas")
	dry.Dir = repoRoot
	out, err := dry.Output()
	if err != nil {
		t.Fatalf("make -n static: %v", err)
	}
	for _, want := range []string{"CGO_ENABLED=0 ", " -trimpath ", "buildinfo.version="} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("make static runs %q, without %q", out, want)
		}
	}

	dockerignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", ".data", "bin"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).Match(dockerignore) {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
}

// The binary the Dockerfile builds is static and serves, checks its health,
// verifies TLS certificates and loads time zones in an empty root, as the
// Dockerfile's user: no libc, no /etc, no /usr/share/zoneinfo, no CA files.
func TestImageRunsInEmptyRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test needs root for chroot, and CI runs as root")
		}
		t.Skip("needs root, for chroot; run as root to check the image's binary")
	}
	d := parseDockerfile(t)
	bin := staticBinary(t)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter (PT_INTERP): it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries (DT_NEEDED) %q, %v", libs, err)
	}
	f.Close()

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, d.binary), exe, 0o755); err != nil {
		t.Fatal(err)
	}
	inRoot := func(env map[string]string, argv ...string) *exec.Cmd {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = environ(env)
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: d.uid, Gid: d.gid}}
		return cmd
	}

	out, err := inRoot(nil, d.binary, "version").Output()
	if errors.Is(err, syscall.EPERM) {
		if os.Getenv("CI") != "" {
			t.Fatalf("chroot refused: %v", err)
		}
		t.Skipf("chroot refused here (%v); it needs CAP_SYS_CHROOT", err)
	}
	if err != nil || !strings.Contains(string(out), "hiremebahamas "+stampedVersion+"\n") {
		t.Fatalf("version in the empty root: %v, %q; want the stamped %s", err, out, stampedVersion)
	}

	// The image's own command, with the settings a platform gives it.
	env := map[string]string{"ENV": "production", "FRONTEND_URL": "https://hiremebahamas.com", "API_URL": "https://api.hiremebahamas.com", "HOST": "127.0.0.1", "PORT": "0",
		"DRAIN_DELAY": "0s", "DATABASE_URL": testSecrets["DATABASE_URL"], "JWT_SECRET_KEY": testSecrets["JWT_SECRET_KEY"],
		"SMTP_URL": testSecrets["SMTP_URL"], "MAIL_FROM": "HireMeBahamas <no-reply@hiremebahamas.com>"}
	p := serve(t, inRoot(env, d.cmd...))
	if code := p.get(t, "/live"); code != 200 {
		t.Errorf("GET /live = %d; want 200", code)
	}
	_, port, _ := strings.Cut(p.addr, ":")

	// The HEALTHCHECK, as Docker runs it: with the container's environment.
	check := func(port string) (int, string) {
		var stderr bytes.Buffer
		cmd := inRoot(map[string]string{"PORT": port}, d.healthcheck...)
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), stderr.String()
		}
		if err != nil {
			t.Fatalf("HEALTHCHECK %q: %v", d.healthcheck, err)
		}
		return 0, stderr.String()
	}
	if code, stderr := check(port); code != 0 {
		t.Errorf("HEALTHCHECK %q against the serving instance: exit %d (%s); want 0", d.healthcheck, code, stderr)
	}
	if code, _ := check(strconv.Itoa(pgtest.FreePort(t))); code != 1 {
		t.Errorf("HEALTHCHECK %q with nothing listening: exit %d; want 1", d.healthcheck, code)
	}

	// A public root, verified as a TLS client would, from the roots built
	// into the binary; and a time zone, from the zone data built in.
	pemRoot, err := os.ReadFile(filepath.Join(repoRoot, "cmd", "hiremebahamas", "testdata", "isrg-root-x1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	self := inRoot(nil, d.binary, "selfcheck")
	self.Stdin, self.Stdout, self.Stderr = bytes.NewReader(pemRoot), &stdout, &stderr
	if err := self.Run(); err != nil || !strings.Contains(stdout.String(), "certificates verified: 1") {
		t.Errorf("selfcheck in the empty root: %v, %q %q; want time zones and the certificate verified", err, stdout.String(), stderr.String())
	}

	// Nothing was written: the root file system may be read-only.
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the root holds %q after the run; want only the binary", names)
	}
}
