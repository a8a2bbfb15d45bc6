package tests

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ext4Image builds an ext4 image holding the program bin as /prog and an
// empty directory /data, for kite run --rootfs IMAGE --rw-root.
func ext4Image(t *testing.T, bin string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "tree")
	if err := os.MkdirAll(filepath.Join(src, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "prog"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "root.ext4")
	if out, err := exec.Command(kiteBin, "image", "build", "-o", img, "--size", "64M", "--from", src).CombinedOutput(); err != nil {
		t.Fatalf("kite image build: %v\n%s", err, out)
	}
	return img
}

// TestTmpfileExt4 runs memfd_tmpfile in a directory of an ext4 image root
// (--rw-root) and in a directory of the host's disk file system (ext4 on
// these machines): O_TMPFILE, linkat(AT_EMPTY_PATH), linking through
// /proc/self/fd, O_EXCL; the image is e2fsck-clean afterwards (the
// unlinked tmpfiles left the orphan list at their last close).
func TestTmpfileExt4(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "memfd_tmpfile.c"), variants[0])
	img := ext4Image(t, bin)
	dir := t.TempDir()
	host := runCmd(t, nil, append(testEnv, "TF_DIR="+dir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "TF_DIR=/data"), kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	if host != kite {
		t.Errorf("memfd_tmpfile on ext4 differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
	if e2fsck := findE2fsck(); e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
	}
}

// crashProg writes files in DIR three ways (through a shared mapping and
// msync, with write(2), and as an O_TMPFILE linked with linkat), fsyncs
// them, opens one more O_TMPFILE that it keeps unnamed, writes a file
// opened O_DSYNC and one through a mapping with msync(MS_SYNC) (neither
// fsynced), says "ready" and waits to be killed ("write DIR"); "check
// DIR" prints what DIR holds.
const crashProg = `#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static void die(const char *m) { perror(m); exit(1); }
static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }
int main(int argc, char **argv) {
	char p[4096];
	const char *dir = argv[2];
	if (!strcmp(argv[1], "write")) {
		snprintf(p, sizeof p, "%s/mapped", dir);
		int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || ftruncate(fd, 8192)) die("mapped");
		char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) die("mmap");
		strcpy(m, "written through a shared mapping\n");
		strcpy(m + 4096, "and its second page\n");
		if (msync(m, 8192, MS_SYNC) || fsync(fd)) die("msync/fsync");
		snprintf(p, sizeof p, "%s/written", dir);
		int w = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (w < 0 || write(w, "written with write(2)\n", 22) != 22 || fsync(w)) die("written");
		int t = open(dir, O_TMPFILE | O_RDWR, 0600);
		if (t < 0 || write(t, "an O_TMPFILE, linked\n", 21) != 21) die("tmpfile");
		snprintf(p, sizeof p, "%s/linked", dir);
		if (linkat(t, "", AT_FDCWD, p, AT_EMPTY_PATH) || fsync(t)) die("linkat");
		int o = open(dir, O_TMPFILE | O_RDWR, 0600);
		static char big[200000];
		memset(big, 'o', sizeof big);
		if (o < 0 || write(o, big, sizeof big) != sizeof big || fsync(o)) die("orphan");
		int d = open(dir, O_RDONLY | O_DIRECTORY);
		if (d < 0 || fsync(d)) die("fsync dir");
		/* last, with no fsync after it: O_DSYNC makes write(2) durable */
		snprintf(p, sizeof p, "%s/dsync", dir);
		int s = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_DSYNC, 0644);
		if (s < 0 || write(s, "written with O_DSYNC\n", 21) != 21) die("dsync");
		/* and msync(MS_SYNC) makes a shared mapping's pages durable */
		snprintf(p, sizeof p, "%s/msynced", dir);
		int ms = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (ms < 0 || ftruncate(ms, 4096)) die("msynced");
		char *mm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ms, 0);
		if (mm == MAP_FAILED) die("mmap msynced");
		strcpy(mm, "msync(MS_SYNC) without fsync\n");
		if (msync(mm, 4096, MS_SYNC)) die("msync");
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (!strcmp(argv[1], "map")) {
		/* written only through a mapping, never synced */
		snprintf(p, sizeof p, "%s/background", dir);
		int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || ftruncate(fd, 4096)) die("background");
		char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) die("mmap");
		strcpy(m, "written back in the background\n");
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	DIR *d = opendir(dir);
	if (!d) die("opendir");
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	qsort(names, n, sizeof *names, cmp);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		FILE *f = fopen(p, "r");
		if (!f) die(p);
		char buf[8192];
		size_t got = fread(buf, 1, sizeof buf, f);
		fclose(f);
		printf("%s: %zu bytes: ", names[i], got);
		for (size_t k = 0; k < got; k++)
			if (buf[k])
				putchar(buf[k]);
	}
	return 0;
}
`

// killWhenReady runs argv, waits for "ready" on its standard output, runs
// then (if not nil) and kills it with SIGKILL.
func killWhenReady(t *testing.T, env []string, argv []string, then func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line == "ready\n" && then != nil {
		then()
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if line != "ready\n" {
		t.Fatalf("%v said %q before it was killed; stderr:\n%s", argv, line, stderr.String())
	}
}

// TestExt4CrashAfterFsync kills kite (SIGKILL) while a program whose
// fsyncs returned is still running on an ext4 image root: e2fsck of the
// image as the crash left it, e2fsck's own journal replay, and kite's
// replay on the next run must all find the files the program wrote (the
// host, killed the same way, is the reference), the image clean, and
// the kept-open O_TMPFILE freed from the orphan list.
func TestExt4CrashAfterFsync(t *testing.T) {
	e2fsck := findE2fsck()
	if e2fsck == "" {
		t.Skip("e2fsck is not installed")
	}
	debugfs := hostTool(t, "debugfs")
	src := filepath.Join(workDir, "ext4_crash.c")
	if err := os.WriteFile(src, []byte(crashProg), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildC(t, src, variants[0])
	img := ext4Image(t, bin)

	dir := t.TempDir()
	killWhenReady(t, testEnv, []string{bin, "write", dir}, nil)
	host := runCmd(t, nil, testEnv, bin, "check", dir)

	killWhenReady(t, testEnv, []string{kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog", "write", "/data"}, nil)
	// As the crash left it: e2fsck -n does not replay the journal or
	// process the orphan list, so it reports the open O_TMPFILE (as it
	// does for Linux's images); debugfs reads the committed files.
	out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput()
	t.Logf("e2fsck -fn of the image as the crash left it: %v\n%s", err, out)
	for _, f := range []string{"mapped", "written", "linked", "dsync", "msynced"} {
		got, err := exec.Command(debugfs, "-R", "cat /data/"+f, img).Output()
		text := strings.ReplaceAll(string(got), "\x00", "")
		if err != nil || text == "" || !strings.Contains(host.stdout, f+": ") || !strings.Contains(host.stdout, text) {
			t.Errorf("debugfs cat /data/%s: %v: %q", f, err, text)
		}
	}

	// e2fsck's replay of a copy.
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	ref := img + ".e2fsck"
	if err := os.WriteFile(ref, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(e2fsck, "-fy", ref).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		t.Errorf("e2fsck -fy: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "Clearing orphaned inode"); n != 1 {
		t.Errorf("e2fsck cleared %d orphaned inodes, want the open O_TMPFILE:\n%s", n, out)
	}
	if out, err := exec.Command(e2fsck, "-fn", ref).CombinedOutput(); err != nil {
		t.Errorf("e2fsck -fn after e2fsck's replay: %v\n%s", err, out)
	}

	// kite's replay: the next run sees the files; its orphan processing
	// and clean unmount leave an image e2fsck finds clean.
	kite := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog", "check", "/data"))
	if kite != host {
		t.Errorf("after the crash\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
	if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
		t.Errorf("e2fsck -fn after kite's replay: %v\n%s", err, out)
	}
}

// TestExt4BackgroundWriteback: a page written through a shared mapping of
// a file on an ext4 image root, with no msync or fsync, reaches the image
// by itself (kite's background writeback, every 30 s as Linux's
// dirty_expire) and survives kite being killed then, as it survives on
// the host. The test waits for debugfs to see it (there is nothing to
// hand-shake with: the writeback is timed).
func TestExt4BackgroundWriteback(t *testing.T) {
	debugfs := hostTool(t, "debugfs")
	src := filepath.Join(workDir, "ext4_crash.c")
	if err := os.WriteFile(src, []byte(crashProg), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildC(t, src, variants[0])
	img := ext4Image(t, bin)
	dir := t.TempDir()
	killWhenReady(t, testEnv, []string{bin, "map", dir}, nil)
	host := runCmd(t, nil, testEnv, bin, "check", dir)

	killWhenReady(t, testEnv, []string{kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog", "map", "/data"}, func() {
		deadline := time.Now().Add(120 * time.Second)
		for time.Now().Before(deadline) {
			out, _ := exec.Command(debugfs, "-R", "cat /data/background", img).Output()
			if strings.Contains(string(out), "written back in the background") {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Error("the mapped page did not reach the image in 120 s")
	})
	kite := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog", "check", "/data"))
	if kite != host {
		t.Errorf("after the crash\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
	if e2fsck := findE2fsck(); e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn after kite's replay: %v\n%s", err, out)
		}
	}
}

// TestAtimeExt4 runs file_atime in a directory of an ext4 image root
// (--rw-root) and in one of the host's disk file system (ext4, relatime,
// on these machines): reads update the access time under the same rules
// as on tmpfs, except that a read of zero bytes leaves it.
func TestAtimeExt4(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "file_atime.c"), variants[0])
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != 0xef53 {
		t.Skipf("%s is not on ext4 (statfs type %#x, %v)", dir, st.Type, err)
	}
	img := ext4Image(t, bin)
	host := runCmd(t, nil, append(testEnv, "ATIME_DIR="+dir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "ATIME_DIR=/data"), kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	if host != kite {
		t.Errorf("file_atime on ext4 differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}
