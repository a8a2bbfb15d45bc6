package tests

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// runIn runs argv in dir with testEnv and returns its result.
func runIn(t *testing.T, dir string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = testEnv, dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), status: "exit 0"}
	if ee, ok := err.(*exec.ExitError); ok {
		r.status = "exit " + itoa(ee.ExitCode())
	} else if err != nil {
		t.Fatalf("running %v: %v", argv, err)
	}
	return r
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// compareDo runs argv on the host and with `kite do` in dir; their
// results must match.
func compareDo(t *testing.T, dir string, argv ...string) result {
	t.Helper()
	kite := runIn(t, dir, append([]string{kiteBin, "do", "--"}, argv...)...)
	host := runIn(t, dir, argv...)
	if host != kite {
		t.Errorf("%v in %s differs between the host and kite do\n--- host:\n%s\n--- kite do:\n%s", argv, dir, host, kite)
	}
	return host
}

// TestDo runs host programs with `kite do` (the host's root under a
// private memory layer, the caller's working directory and environment)
// and compares them with the same programs run directly.
func TestDo(t *testing.T) {
	// A directory whose listing does not change while the test runs.
	dir := filepath.Join(workDir, "do", "cwd")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"b.txt": "pear\napple\nfig\n", "a.txt": "x\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("ls", func(t *testing.T) {
		need(t, "/bin/ls")
		compareDo(t, dir, "ls", "-la")
		compareDo(t, dir, "ls", "-la", "--time-style=+%s", "/usr/bin/")
	})
	t.Run("sort", func(t *testing.T) {
		need(t, "/usr/bin/sort")
		compareDo(t, dir, "sort", "b.txt")
	})
	t.Run("python3", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		compareDo(t, dir, "python3", "-c", `import os, sys
print(os.getcwd(), sorted(os.listdir(".")), os.environ.get("LC_ALL"))
print(sum(range(10**6)), sys.version_info[:2])`)
	})
	t.Run("gcc", func(t *testing.T) {
		need(t, "/usr/bin/gcc")
		src := filepath.Join(workDir, "do", "hello.c")
		if err := os.WriteFile(src, []byte("#include <stdio.h>\nint main(void) { printf(\"hello from %s\\n\", __func__); return 3; }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// The binary goes to /tmp: the host's on the host, kite's own
		// under kite do.
		compareDo(t, dir, "sh", "-c", "out=/tmp/kite-do-hello-$$; gcc -O1 -o $out "+src+" && $out; s=$?; rm -f $out; exit $s")
	})
	t.Run("git", func(t *testing.T) {
		need(t, "/usr/bin/git")
		repo := filepath.Join(workDir, "do", "repo")
		script := `set -e
rm -rf ` + repo + ` && git init -q ` + repo + ` && cd ` + repo + `
echo hello > f && git add f
export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
git -c user.name=kite -c user.email=kite@example.org commit -q -m first`
		if out, err := exec.Command("/bin/sh", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("making a repository: %v\n%s", err, out)
		}
		compareDo(t, repo, "git", "log", "--format=%H %an %s")
		compareDo(t, repo, "git", "cat-file", "-p", "HEAD")
	})
	t.Run("writes-stay-inside", func(t *testing.T) {
		need(t, "/bin/sh")
		const probe = "/etc/kite-do-test"
		if _, err := os.Stat(probe); err == nil {
			t.Fatalf("%s exists on the host before the test", probe)
		}
		dirBefore := listing(t, dir)
		r := runIn(t, dir, kiteBin, "do", "--", "/bin/sh", "-c",
			"touch "+probe+" && echo made > new.txt && rm a.txt && cat "+probe+" new.txt && ls")
		want := result{stdout: "made\nb.txt\nnew.txt\nsub\n", status: "exit 0"}
		if r != want {
			t.Errorf("writing inside kite do:\n%s\nwant:\n%s", r, want)
		}
		if _, err := os.Stat(probe); err == nil {
			os.Remove(probe)
			t.Errorf("%s reached the host", probe)
		}
		if after := listing(t, dir); after != dirBefore {
			t.Errorf("the working directory changed on the host: %q, was %q", after, dirBefore)
		}
	})
	t.Run("rw", func(t *testing.T) {
		need(t, "/bin/sh")
		need(t, "/usr/bin/mkfifo")
		// The same script changes a tree on the host and, through
		// --rw, a copy of it under kite do: the two trees must end up
		// the same, and so must what the script prints.
		script := `set -e
mkdir -p d/e && echo one > d/e/f && echo two >> d/e/f
ln -s e/f d/link && ln d/e/f hard
mv d/e/f d/g && chmod 640 d/g && truncate -s 3 hard
mkfifo pipe && rm b.txt && rmdir sub
i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done > big
cat d/g hard; echo; wc -c big; ls -l d | tail -n +2 | cut -c1-10
touch -d 2001-02-03T04:05:06Z d/g && ls -l --time-style=+%s d/g | cut -d' ' -f6-`
		trees := [2]string{}
		for k, name := range []string{"host", "kite"} {
			trees[k] = filepath.Join(workDir, "do", "rw-"+name)
			os.RemoveAll(trees[k])
			if err := os.MkdirAll(filepath.Join(trees[k], "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(trees[k], "b.txt"), []byte("pear\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		host := runIn(t, trees[0], "/bin/sh", "-c", script)
		kite := runIn(t, trees[1], kiteBin, "do", "--rw", trees[1], "--", "/bin/sh", "-c", script)
		if host != kite {
			t.Errorf("the script differs between the host and kite do --rw\n--- host:\n%s\n--- kite do:\n%s", host, kite)
		}
		if h, k := describeTree(t, trees[0]), describeTree(t, trees[1]); h != k {
			t.Errorf("the trees differ after the script\n--- host:\n%s\n--- kite do --rw:\n%s", h, k)
		}
		r := runIn(t, dir, kiteBin, "do", "--rw", filepath.Join(workDir, "do", "no-such-dir"), "--", "/bin/true")
		if r.status != "exit 2" || !bytes.Contains([]byte(r.stderr), []byte("no-such-dir")) {
			t.Errorf("--rw of a missing directory:\n%s", r)
		}
	})
	t.Run("net-host", func(t *testing.T) {
		need(t, "/usr/bin/curl")
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s\n", r.URL.Path)
		})}
		go srv.Serve(l)
		defer srv.Close()
		url := fmt.Sprintf("http://%s/from-kite-do", l.Addr())
		host := runIn(t, dir, "curl", "-sS", url)
		kite := runIn(t, dir, kiteBin, "do", "--net", "host", "--", "curl", "-sS", url)
		if host != kite || host.stdout != "hello /from-kite-do\n" {
			t.Errorf("curl to a host server\n--- host:\n%s\n--- kite do --net host:\n%s", host, kite)
		}
		// Without --net host the host's loopback is not the sandbox's.
		if r := runIn(t, dir, kiteBin, "do", "--", "curl", "-sS", url); r.status == "exit 0" {
			t.Errorf("kite do without --net host reached the host's server:\n%s", r)
		}
	})
	t.Run("status", func(t *testing.T) {
		need(t, "/bin/sh")
		compareDo(t, dir, "sh", "-c", "echo out; echo err >&2; exit 7")
		r := runIn(t, dir, kiteBin, "do", "--", "no-such-program-kite")
		want := result{stderr: "kite: no-such-program-kite: command not found\n", status: "exit 127"}
		if r != want {
			t.Errorf("a missing program:\n%s\nwant:\n%s", r, want)
		}
	})
}

// describeTree lists every file under dir with its type, mode, owner,
// size, link count, symlink target and, for regular files, contents.
func describeTree(t *testing.T, dir string) string {
	t.Helper()
	var b bytes.Buffer
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		fmt.Fprintf(&b, "%s %v %d:%d nlink=%d", rel, fi.Mode(), st.Uid, st.Gid, st.Nlink)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			fmt.Fprintf(&b, " -> %s", l)
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " size=%d %q", fi.Size(), data[:min(len(data), 64)])
			if rel == "d/g" {
				fmt.Fprintf(&b, " mtime=%d", fi.ModTime().Unix())
			}
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// listing is the names in dir.
func listing(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, e := range ents {
		b.WriteString(e.Name() + "\n")
	}
	return b.String()
}
