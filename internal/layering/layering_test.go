package layering

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kite-os/kite"

// layer is one level of DESIGN.md's "Dependencies point downwards": a
// package may import packages of lower layers, and packages of its own
// layer only if sameLayer is set (Go itself forbids cycles). Patterns are
// package paths relative to the module; "x/..." matches x and everything
// below it. The table names planned packages too, so that they are
// checked the day they appear.
type layer struct {
	name      string
	sameLayer bool
	pkgs      []string
}

// layers, bottom first.
var layers = []layer{
	{"ABI facts", false, []string{"abi/..."}},
	{"CPU state", false, []string{"arch/..."}},
	{"platform interface", false, []string{"platform"}},
	// Code the stub-process backends share, and their conformance suite.
	{"platform helpers", false, []string{"platform/internal/..."}},
	{"platform backends", false, []string{"platform/ptrace/...", "platform/systrap/...", "platform/kvm/...", "platform/fake/..."}},
	// Landlock's rulesets and domains, which credentials hold.
	{"landlock", false, []string{"auth/landlock/..."}},
	{"credentials", false, []string{"auth/..."}},
	// The VFS and the memory manager are one level in DESIGN.md; which
	// of the two defines the page-cache interface the other uses is
	// theirs to settle.
	{"vfs and mm", true, []string{"vfs/...", "mm/..."}},
	// The storage file systems implement vfs's interfaces and never
	// import each other, the kernel or anything above vfs.
	{"file systems", false, []string{"fs/tmpfs/...", "fs/hostfs/...", "fs/overlay/...", "fs/ext4/...", "fs/fat/...", "fs/pipe/...", "fs/dev/..."}},
	// Subsystems the kernel uses; fs/proc and fs/sys define the views
	// the kernel implements, so the kernel imports them, never the
	// other way round.
	{"subsystems", true, []string{
		"ipc/...", "net/...", "tty/...", "bpf/...", "loader/...", "block/...",
		"fs/proc/...", "fs/sys/...", "kernel/futex/...", "kernel/timekeeping/...", "keys/...",
	}},
	// The kernel takes the syscall table as a value: it never imports
	// syscalls.
	{"kernel", false, []string{"kernel", "strace/..."}},
	{"syscall handlers", false, []string{"syscalls"}},
	{"runtime and images", false, []string{"oci/...", "image/..."}},
	{"command line", false, []string{"cmd/..."}},
}

// exempt are packages outside the kernel's layering: tests, benchmarks,
// code generators run by go generate, and this package.
var exempt = []string{"tests/...", "bench/...", "abi/linux/internal/...", "syscalls/internal/...", "internal/layering"}

// unsafeAllowed are the packages that may import unsafe (DESIGN.md:
// "Where the dangerous code lives").
var unsafeAllowed = []string{"platform/...", "arch/...", "mm/..."}

// gvisorAllowed may import gVisor: its pkg/tcpip, pkg/waiter, whose
// Queue is part of tcpip's endpoint API (stack.NewEndpoint takes one),
// and pkg/log, the logger tcpip writes its warnings to (kite points it
// at its own log instead of the program's stderr).
var gvisorAllowed = []string{"net/inet/..."}

// gvisorPackage reports whether ip is a gVisor package that gvisorAllowed
// may import.
func gvisorPackage(ip string) bool {
	return matchAny([]string{"gvisor.dev/gvisor/pkg/tcpip/...", "gvisor.dev/gvisor/pkg/waiter", "gvisor.dev/gvisor/pkg/log"}, ip)
}

func matches(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if matches(p, pkg) {
			return true
		}
	}
	return false
}

// layerOf returns the layer of pkg (relative path), or -1. The longest
// matching pattern wins, so "fs/proc/..." beats a broader pattern.
func layerOf(pkg string) int {
	best, bestLen := -1, -1
	for i, l := range layers {
		for _, p := range l.pkgs {
			if matches(p, pkg) && len(p) > bestLen {
				best, bestLen = i, len(p)
			}
		}
	}
	return best
}

// imports maps each package of the tree (relative path) to what its
// non-test files import.
func imports(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if out[pkg] == nil {
			out[pkg] = map[string]bool{}
		}
		for _, s := range f.Imports {
			ip, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				return err
			}
			out[pkg][ip] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// check returns the layering violations of graph.
func check(graph map[string]map[string]bool) []string {
	var bad []string
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		if matchAny(exempt, pkg) {
			continue
		}
		from := layerOf(pkg)
		if from < 0 {
			bad = append(bad, fmt.Sprintf("%s has no layer: give it one in internal/layering (DESIGN.md's layout)", pkg))
			continue
		}
		deps := make([]string, 0, len(graph[pkg]))
		for ip := range graph[pkg] {
			deps = append(deps, ip)
		}
		sort.Strings(deps)
		for _, ip := range deps {
			switch {
			case ip == "unsafe":
				if !matchAny(unsafeAllowed, pkg) {
					bad = append(bad, fmt.Sprintf("%s imports unsafe (only %v may)", pkg, unsafeAllowed))
				}
			case strings.HasPrefix(ip, "gvisor.dev/"):
				if !matchAny(gvisorAllowed, pkg) || !gvisorPackage(ip) {
					bad = append(bad, fmt.Sprintf("%s imports %s (only %v may import gVisor, and only pkg/tcpip and the pkg/waiter its API uses)", pkg, ip, gvisorAllowed))
				}
			case ip == module || strings.HasPrefix(ip, module+"/"):
				dep := strings.TrimPrefix(strings.TrimPrefix(ip, module), "/")
				to := layerOf(dep)
				switch {
				case matchAny(exempt, dep):
					bad = append(bad, fmt.Sprintf("%s imports %s, which is outside the layering", pkg, dep))
				case to < 0:
					// Reported as a package without a layer.
				case to > from:
					bad = append(bad, fmt.Sprintf("%s (%s) imports %s (%s): an upward import", pkg, layers[from].name, dep, layers[to].name))
				case to == from && !layers[from].sameLayer && !sameFamily(pkg, dep):
					bad = append(bad, fmt.Sprintf("%s imports %s: packages of the layer %q do not import each other", pkg, dep, layers[from].name))
				}
			}
		}
	}
	return bad
}

// sameFamily reports whether a and b are one package and its
// subpackages (fs/ext4 and fs/ext4/internal/x), which may import each
// other whatever their layer's rule.
func sameFamily(a, b string) bool {
	top := func(p string) string {
		for _, l := range layers {
			for _, pat := range l.pkgs {
				if base, ok := strings.CutSuffix(pat, "/..."); ok && matches(pat, p) {
					return base
				}
			}
		}
		return p
	}
	return top(a) == top(b) && path.Clean(top(a)) != "."
}

func TestImportsPointDownwards(t *testing.T) {
	graph := imports(t, moduleRoot(t))
	if len(graph) < 20 {
		t.Fatalf("found only %d packages: wrong root?", len(graph))
	}
	for _, b := range check(graph) {
		t.Error(b)
	}
}

// TestCheckFindsViolations makes sure the check can fail: an upward
// import, a file system importing another, a package without a layer,
// unsafe and gVisor where they are not allowed.
func TestCheckFindsViolations(t *testing.T) {
	graph := map[string]map[string]bool{
		"vfs":            {module + "/kernel": true},
		"fs/tmpfs":       {module + "/fs/ext4": true},
		"fs/ext4":        {module + "/vfs": true},
		"kernel":         {module + "/syscalls": true},
		"newthing":       {},
		"ipc":            {"unsafe": true},
		"net/unix":       {"gvisor.dev/gvisor/pkg/tcpip": true},
		"net/inet":       {"gvisor.dev/gvisor/pkg/sentry/kernel": true},
		"net/inet/stack": {"gvisor.dev/gvisor/pkg/tcpip/stack": true, module + "/net": true},
		"fs/proc":        {module + "/vfs": true, module + "/auth": true},
	}
	got := check(graph)
	want := []string{
		"fs/tmpfs imports fs/ext4",
		"ipc imports unsafe",
		"kernel (kernel) imports syscalls",
		"net/inet imports gvisor.dev/gvisor/pkg/sentry/kernel",
		"net/unix imports gvisor.dev/gvisor/pkg/tcpip",
		"newthing has no layer",
		"vfs (vfs and mm) imports kernel",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("violation %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}
