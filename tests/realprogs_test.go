package tests

import (
	"os"
	"path/filepath"
	"testing"
)

// need skips t unless every program is installed.
func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it)", p)
		}
	}
}

// TestRealPrograms runs programs from Debian's packages, dynamically
// linked, on the host and under kite.
func TestRealPrograms(t *testing.T) {
	t.Run("python3", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		compare(t, nil, "/usr/bin/python3", "-c",
			`import json, math, os, hashlib
print(json.dumps({"pi": round(math.pi, 5), "etc": "passwd" in os.listdir("/etc")}))
print(hashlib.sha256(b"kite" * 1000).hexdigest())
print(sum(i * i for i in range(100000)))`)
	})
	t.Run("perl", func(t *testing.T) {
		need(t, "/usr/bin/perl")
		compare(t, nil, "/usr/bin/perl", "-e", `my %h = map { $_ => $_ ** 2 } 1..10; print join(",", map { $h{$_} } sort { $a <=> $b } keys %h), "\n"`)
	})
	t.Run("sqlite3", func(t *testing.T) {
		need(t, "/usr/bin/sqlite3")
		compare(t, nil, "/usr/bin/sqlite3", ":memory:",
			"create table t(x integer, y text); insert into t values (1,'a'),(2,'b'),(3,'c'); select sum(x), group_concat(y) from t;")
	})
	t.Run("gcc-and-git", func(t *testing.T) {
		need(t, "/usr/bin/gcc", "/usr/bin/git", "/bin/sh")
		src := filepath.Join(workDir, "answer.c")
		if err := os.WriteFile(src, []byte("#include <stdio.h>\nint main(void){puts(\"compiled under kite\");return 42;}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		script := `set -e
d=$(mktemp -d /tmp/kite-real-XXXXXX)
cd $d
gcc -O1 -o answer ` + src + `
./answer || echo status $?
git init -q repo && cd repo
echo hello > f && git add f
export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
git -c user.name=kite -c user.email=kite@example.org commit -q -m first
git log --oneline
cd / && rm -rf $d`
		compare(t, nil, "/bin/sh", "-c", script)
	})
}
