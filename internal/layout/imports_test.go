package layout

import (
	"errors"
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/hiremebahamas/api"

// rule says what one package may not import (its non-test files). Paths in
// the module are written without the module prefix; a path also stands for
// the packages under it.
type rule struct {
	pkg string
	// deny lists what it may never import.
	deny []string
	// only, if set, lists all the module's packages it may import.
	only []string
	// stdOnly limits it to the standard library and golang.org/x/net.
	stdOnly bool
}

const (
	netHTTP   = "net/http"
	gwRuntime = "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	grpcPkg   = "google.golang.org/grpc"
)

// rules are the allowed arrows of ARCHITECTURE.md, stated as what is
// refused.
var rules = []rule{
	// The composition root wires; it handles no request itself.
	{pkg: "server", deny: []string{netHTTP, gwRuntime}},
	{pkg: "server/service", deny: []string{netHTTP, gwRuntime, "server/gateway", "server/interceptor", "server/listen",
		"server/telemetry", "server/ratelimit", "config"},
		only: []string{"server/rpc", "server/boardcache", "store", "auth", "domain", "gen/hiremebahamas", "internal/buildinfo"}},
	{pkg: "server/gateway", deny: []string{"server/service", "server/interceptor", "server/boardcache", "store", "config"},
		only: []string{"server/rpc", "server/ratelimit", "server/listen", "apidocs", "gen/hiremebahamas"}},
	{pkg: "server/interceptor", deny: []string{netHTTP, gwRuntime, "server/gateway", "server/service", "store", "config"},
		only: []string{"server/rpc", "server/ratelimit", "auth", "domain"}},
	{pkg: "server/rpc", deny: []string{netHTTP, gwRuntime}, only: []string{"server/ratelimit", "auth", "domain"}},
	{pkg: "server/boardcache", deny: []string{netHTTP, gwRuntime}, only: []string{"server/rpc"}},
	{pkg: "server/telemetry", deny: []string{gwRuntime}, only: []string{"server/rpc", "internal/buildinfo"}},
	{pkg: "server/ratelimit", deny: []string{netHTTP, grpcPkg}, only: []string{"domain"}},
	{pkg: "server/listen", stdOnly: true},
	{pkg: "store", only: []string{"domain", "gen/db", "migrations"}},
	// The queue works jobs over the store and mails; it serves nothing.
	{pkg: "queue", deny: []string{netHTTP, "config"}, only: []string{"store", "mail", "domain", "auth"}},
	{pkg: "mail", only: []string{}},
	{pkg: "domain", only: []string{}},
}

// everywhere are refused to every package but the ones named.
var everywhere = []struct {
	path    string
	allowed []string
}{
	{"gen/db", []string{"store", "gen/db"}},
	{gwRuntime, []string{"server/gateway", "gen/hiremebahamas"}},
}

// TestImportRules reads every package's imports and fails on an arrow the
// rules refuse.
func TestImportRules(t *testing.T) {
	pkgs := modulePackages(t)
	for _, r := range rules {
		if _, ok := pkgs[r.pkg]; !ok {
			t.Errorf("rule for %s, which is not a package", r.pkg)
		}
	}
	var problems []string
	for pkg, imports := range pkgs {
		problems = append(problems, violations(pkg, imports)...)
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// The rules refuse what they should: each kind of forbidden arrow is caught.
func TestImportRulesCatch(t *testing.T) {
	for _, tc := range []struct{ pkg, imp string }{
		{"server/service", "net/http"},
		{"server/service", module + "/server/gateway"},
		{"server/service", module + "/config"},
		{"server/gateway", module + "/store"},
		{"server/interceptor", gwRuntime},
		{"server/listen", "google.golang.org/grpc"},
		{"server/ratelimit", "google.golang.org/grpc/peer"},
		{"server", "net/http"},
		{"cmd/hiremebahamas", module + "/gen/db"},
		{"domain", module + "/store"},
	} {
		if len(violations(tc.pkg, []string{tc.imp})) == 0 {
			t.Errorf("%s importing %s was let through", tc.pkg, tc.imp)
		}
	}
	if v := violations("server/service", []string{module + "/server/rpc", "context"}); len(v) != 0 {
		t.Errorf("allowed arrows refused: %v", v)
	}
}

// violations lists the refused imports of pkg (a module path without the
// module prefix).
func violations(pkg string, imports []string) []string {
	var out []string
	refuse := func(imp, why string) { out = append(out, pkg+" imports "+imp+": "+why) }
	for _, imp := range imports {
		local, inModule := strings.CutPrefix(imp, module+"/")
		for _, e := range everywhere {
			target := e.path
			if !strings.Contains(target, ".") {
				target = module + "/" + target
			}
			if under(imp, target) && !slices.ContainsFunc(e.allowed, func(a string) bool { return under(pkg, a) }) {
				refuse(imp, "only "+strings.Join(e.allowed, ", ")+" may")
			}
		}
		for _, r := range rules {
			if r.pkg != pkg {
				continue
			}
			for _, d := range r.deny {
				if inModule && under(local, d) || !inModule && under(imp, d) {
					refuse(imp, "refused to "+pkg)
				}
			}
			if r.only != nil && inModule && !slices.ContainsFunc(r.only, func(a string) bool { return under(local, a) }) {
				refuse(imp, pkg+" may import only "+strings.Join(r.only, ", ")+" of this module")
			}
			if r.stdOnly && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !under(imp, "golang.org/x/net") {
				refuse(imp, pkg+" may import only the standard library and golang.org/x/net")
			}
		}
	}
	return out
}

// under reports whether path is p or a package under it.
func under(path, p string) bool { return path == p || strings.HasPrefix(path, p+"/") }

// modulePackages maps each package of the module (without the prefix) to
// the imports of its non-test files.
func modulePackages(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		pkgs[filepath.ToSlash(rel)] = p.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 20 {
		t.Fatalf("found only %d packages under %s", len(pkgs), root)
	}
	return pkgs
}
