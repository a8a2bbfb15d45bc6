package tests

import (
	"os"
	"os/exec"
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
	t.Run("chrt", func(t *testing.T) {
		// util-linux's chrt sets policies with sched_setscheduler and
		// reads them back with sched_getattr.
		need(t, "/usr/bin/chrt", "/bin/sh")
		script := `p() { chrt "$@" chrt -p 0 | sed 's/^pid [0-9]*/pid N/'; }
chrt -m
p -o 0
p -b 0
p -i 0
p -f 10
p -r -R 5
chrt -v -f 3 true; echo status $?
sh -c 'chrt -p $PPID' | sed 's/^pid [0-9]*/pid N/'`
		compare(t, nil, "/bin/sh", "-c", script)
	})
	t.Run("procps-vmstat-dmesg", func(t *testing.T) {
		// vmstat needs /proc/vmstat (it gave up without it); dmesg
		// reads the kernel log with syslog(2) (it was ENOSYS). Only
		// what does not depend on the machine's state is compared.
		need(t, "/usr/bin/vmstat", "/usr/bin/dmesg", "/bin/sh")
		script := `vmstat 1 1 | head -2; echo vmstat $?
vmstat -s | sed 's/^ *[0-9]* //'
dmesg > /dev/null; echo dmesg $?
dmesg -r | head -1 | grep -c '^<[0-7]>\[ *[0-9]*\.[0-9]*\] '`
		compare(t, nil, "/bin/sh", "-c", script)
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
	t.Run("sqlite3-wal", func(t *testing.T) {
		// WAL mode maps the -shm file shared in every process that
		// opens the database: writers and readers run concurrently.
		need(t, "/usr/bin/sqlite3", "/bin/sh")
		script := `set -e
d=$(mktemp -d /tmp/kite-wal-XXXXXX)
q() { /usr/bin/sqlite3 -cmd ".timeout 10000" $d/t.db "$@"; }
q 'PRAGMA journal_mode=WAL; CREATE TABLE t(a INTEGER, b TEXT);'
for i in 1 2 3 4 5 6 7 8; do q "INSERT INTO t VALUES($i, 'row$i');" >/dev/null & done
for i in 1 2 3 4; do q 'SELECT count(*) >= 0 FROM t;' & done
wait
q 'SELECT count(*), sum(a) FROM t; PRAGMA journal_mode; PRAGMA integrity_check;'
ls $d | sort
q 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
q 'SELECT group_concat(b) FROM (SELECT b FROM t ORDER BY a);'
cd / && rm -rf $d`
		compare(t, nil, "/bin/sh", "-c", script)
	})
	t.Run("python3-multiprocessing", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		compare(t, nil, "/usr/bin/python3", "-c", `import multiprocessing as mp
from multiprocessing import shared_memory

def sq(x):
    return x * x

def inc(v):
    with v.get_lock():
        v.value += 1

def fill(name):
    s = shared_memory.SharedMemory(name=name)
    s.buf[5:10] = b"world"
    s.close()

if __name__ == "__main__":
    with mp.Pool(4) as p:
        print(sum(p.map(sq, range(1000))))
    shm = shared_memory.SharedMemory(create=True, size=4096)
    shm.buf[:5] = b"hello"
    c = mp.Process(target=fill, args=(shm.name,))
    c.start(); c.join()
    print(bytes(shm.buf[:10]), c.exitcode)
    shm.close(); shm.unlink()
    v = mp.Value("i", 0)
    ps = [mp.Process(target=inc, args=(v,)) for _ in range(4)]
    [x.start() for x in ps]; [x.join() for x in ps]
    print(v.value)`)
	})
	t.Run("go-build", func(t *testing.T) {
		// The linker maps its output file shared and writes it. Both
		// runs share one build cache, which the host run (the first)
		// fills with the standard library: kite then compiles the
		// program and links it, instead of spending minutes on the
		// standard library.
		if testing.Short() {
			t.Skip("the host run builds the standard library")
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			t.Skip("go is not installed")
		}
		need(t, "/bin/sh")
		src := filepath.Join(workDir, "gobuild")
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"built under kite\") }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		script := `set -e
d=$(mktemp -d /tmp/kite-gobuild-XXXXXX)
cp ` + src + `/main.go ` + src + `/go.mod $d/ && cd $d
export GOCACHE=` + filepath.Join(workDir, "gocache") + ` GOPATH=$d/gopath HOME=$d GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0
` + goBin + ` build -o hello . && ./hello
cd / && rm -rf $d`
		compare(t, nil, "/bin/sh", "-c", script)
	})
}
