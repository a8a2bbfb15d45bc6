package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSharedMappingExt4 runs mm_shared_file on an ext4 image root written
// through its journal (--rw-root): shared mappings go through the page
// cache and must behave as on the host (whose /var/tmp is a disk file
// system). A file written only through a shared mapping and msync'ed
// must be in the image afterwards (debugfs reads it), and e2fsck must
// find the image clean.
func TestSharedMappingExt4(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "mm_shared_file.c"), variants[0])
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

	host := runCmd(t, nil, append(testEnv, "MM_SHARED_DIR="+workDir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "MM_SHARED_DIR=/data", "MM_SHARED_KEEP=1"),
		kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	want := host
	want.stdout += "keep msync = 0\n"
	if kite != want {
		t.Errorf("mm_shared_file on ext4 differs\n--- host:\n%s\n--- kite:\n%s", want, kite)
	}
	if e2fsck := findE2fsck(); e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
	}
	debugfs := hostTool(t, "debugfs")
	out, err := exec.Command(debugfs, "-R", "cat /data/kept", img).Output()
	if err != nil || !strings.Contains(string(out), "persisted through a shared mapping\n") {
		t.Errorf("debugfs cat /data/kept: %v: %q", err, out)
	}
}

// oomProg maps more memory than the sandbox has: one mapping larger than
// all of it (ENOMEM, overcommit's heuristic), then 64 MiB pieces it
// touches until the OOM killer ends it.
const oomProg = `#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
int main(void) {
	const long M = 1 << 20;
	void *big = mmap(NULL, 2048 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("one mapping of 2 GiB: %s\n", big == MAP_FAILED ? strerror(errno) : "mapped");
	fflush(stdout);
	for (int i = 0; i < 16; i++) {
		char *p = mmap(NULL, 64 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("mmap: %s\n", strerror(errno));
			return 1;
		}
		memset(p, 1, 64 * M);
	}
	printf("touched 1 GiB\n");
	return 0;
}
`

// TestMemoryLimit runs a program that touches 1 GiB in a sandbox of 256
// MiB (--memory): kite's OOM killer kills it (SIGKILL, with a line on
// kite's stderr), its parent shell goes on, and kite exits normally.
func TestMemoryLimit(t *testing.T) {
	src := filepath.Join(workDir, "oom.c")
	if err := os.WriteFile(src, []byte(oomProg), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildC(t, src, variants[0])
	// Bounded by its own timeout, with WaitDelay: if kite hung, its stub
	// processes could keep the output pipes open and Wait would block.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kiteBin, "run", "--memory", "256M", "--", "/bin/sh", "-c", bin+"; echo status $?; grep MemTotal /proc/meminfo")
	cmd.Env = testEnv
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	want := "one mapping of 2 GiB: Cannot allocate memory\nstatus 137\nMemTotal:         262144 kB\n"
	if err != nil || stdout.String() != want || !strings.Contains(stderr.String(), "out of memory: killed process") {
		t.Errorf("kite run --memory 256M: %v\nstdout:\n%s\nstderr:\n%s\nwant stdout %q and an OOM line", err, stdout.String(), stderr.String(), want)
	}
}

// TestTmpfsMemoryReturned writes 256 MiB to a tmpfs file, deletes it, and
// checks that the host memory kite holds comes back (the file's pages are
// punched out of the memory file). The file's pages need not be mapped in
// kite (tmpfs data is written into the memory file with pwrite), so the
// measure is kite's anonymous resident memory plus the memory file's
// allocated blocks, not VmRSS.
func TestTmpfsMemoryReturned(t *testing.T) {
	script := `dd if=/dev/zero of=/tmp/big bs=1M count=256 2>/dev/null
echo written
read line
rm /tmp/big
echo removed
read line`
	cmd := exec.Command(kiteBin, "run", "--", "/bin/sh", "-c", script)
	cmd.Env = testEnv
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	buf := make([]byte, 64)
	readLine := func(want string) {
		t.Helper()
		var got []byte
		for !strings.Contains(string(got), "\n") {
			n, err := stdout.Read(buf)
			if err != nil {
				t.Fatalf("reading %q: %v", want, err)
			}
			got = append(got, buf[:n]...)
		}
		if strings.TrimSpace(string(got)) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	readLine("written")
	full := hostMemory(t, cmd.Process.Pid)
	stdin.Write([]byte("go\n"))
	readLine("removed")
	after := hostMemory(t, cmd.Process.Pid)
	stdin.Write([]byte("go\n"))
	t.Logf("kite's host memory: %d kB with the file, %d kB after removing it", full, after)
	if full < 256<<10 || after > full-200<<10 {
		t.Errorf("kite's host memory: %d kB with the file, %d kB after removing it", full, after)
	}
}

// hostMemory returns the host memory a kite process holds, in kB: its
// anonymous resident memory (RssAnon) plus the blocks allocated to its
// memory file (found among its fds by the name kite gives the memfd),
// whether or not kite maps those pages.
func hostMemory(t *testing.T, pid int) int64 {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		t.Fatal(err)
	}
	var anon int64 = -1
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			anon, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	if anon < 0 {
		t.Fatal("no RssAnon")
	}
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		p := filepath.Join(dir, "fd", fd.Name())
		if l, err := os.Readlink(p); err != nil || !strings.Contains(l, "memfd:kite-memory") {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		return anon + st.Blocks/2
	}
	t.Fatal("no memory file among kite's fds")
	return 0
}

// TestTmpfileOverlay runs memfd_tmpfile in a directory of an overlay root
// (--overlay: a host directory under a memory layer): O_TMPFILE files are
// made in the upper layer and linkat gives them names there.
func TestTmpfileOverlay(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "memfd_tmpfile.c"), variants[0])
	host := runCmd(t, nil, append(testEnv, "TF_DIR="+workDir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "TF_DIR=/var/tmp"), kiteBin, "run", "--overlay", "--", bin))
	if host != kite {
		t.Errorf("memfd_tmpfile on an overlay differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}

// TestMeminfoShmem checks that /proc/meminfo's Shmem and Cached count
// tmpfs pages: both grow by a 16 MiB file written to /tmp and shrink
// again when it is removed (both were always 0 before). The host's
// numbers are its own page cache, so kite is checked against the file
// it was given, not against the host.
func TestMeminfoShmem(t *testing.T) {
	script := `grep -E '^(Cached|Shmem):' /proc/meminfo
dd if=/dev/zero of=/tmp/shmem.dat bs=1M count=16 2>/dev/null
grep -E '^(Cached|Shmem):' /proc/meminfo
rm /tmp/shmem.dat
grep -E '^(Cached|Shmem):' /proc/meminfo`
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--", "/bin/sh", "-c", script)
	if r.status != "exit 0" {
		t.Fatalf("kite run:\n%s", r)
	}
	var kb []int64 // Cached, Shmem; three times
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "kB" {
			t.Fatalf("unexpected line %q in:\n%s", line, r)
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		kb = append(kb, n)
	}
	if len(kb) != 6 {
		t.Fatalf("want three Cached/Shmem pairs:\n%s", r)
	}
	const file = 16 << 10
	for i := 0; i < 6; i += 2 {
		if kb[i] < kb[i+1] {
			t.Errorf("Cached %d kB below Shmem %d kB", kb[i], kb[i+1])
		}
	}
	if grew := kb[3] - kb[1]; grew < file || grew > file+1024 {
		t.Errorf("Shmem grew by %d kB with a 16 MiB tmpfs file (%v)", grew, kb)
	}
	if grew := kb[2] - kb[0]; grew < file || grew > file+1024 {
		t.Errorf("Cached grew by %d kB with a 16 MiB tmpfs file (%v)", grew, kb)
	}
	if shrank := kb[3] - kb[5]; shrank < file || shrank > file+1024 {
		t.Errorf("Shmem shrank by %d kB when the file was removed (%v)", shrank, kb)
	}
}

// overcommitC exercises vm.overcommit_memory under kite (a host's sysctl
// is not ours to change, so it is not run on the host): each line is what
// Linux's mm/util.c __vm_enough_memory and mmap's accounting give.
const overcommitC = `
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static long meminfo(const char *key) {
	char line[256]; long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key))) v = atol(line + strlen(key) + 1) * 1024;
	fclose(f);
	return v;
}
static int setvm(const char *name, const char *v) {
	char p[128]; snprintf(p, sizeof p, "/proc/sys/vm/%s", name);
	int fd = open(p, O_WRONLY);
	if (fd < 0) return -1;
	int r = write(fd, v, strlen(v));
	close(fd);
	return r < 0 ? -errno : 0;
}
static void try(const char *what, size_t len, int prot, int flags) {
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	printf("%s: %s\n", what, p == MAP_FAILED ? strerror(errno) : "ok");
	if (p != MAP_FAILED) munmap(p, len);
}
int main(void) {
	long total = meminfo("MemTotal:");
	char buf[16] = {0};
	int fd = open("/proc/sys/vm/overcommit_memory", O_RDONLY);
	read(fd, buf, sizeof buf - 1); close(fd);
	printf("mode %s", buf);
	try("guess, twice the memory", 2 * total, PROT_READ | PROT_WRITE, 0);
	try("guess, twice the memory, noreserve", 2 * total, PROT_READ | PROT_WRITE, MAP_NORESERVE);
	setvm("overcommit_memory", "1");
	try("always, twice the memory", 2 * total, PROT_READ | PROT_WRITE, 0);
	setvm("overcommit_memory", "2");
	long c0 = meminfo("Committed_AS:");
	void *p = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long c1 = meminfo("Committed_AS:");
	printf("never, 64 MiB: %s, committed %s\n", p == MAP_FAILED ? strerror(errno) : "ok",
		c1 - c0 >= (64 << 20) && c1 - c0 < (65 << 20) ? "+64 MiB" : "wrong");
	munmap(p, 64 << 20);
	printf("never, commit limit %s\n", meminfo("CommitLimit:") == total / 2 ? "half the memory" : "wrong");
	try("never, 60% of the memory", total / 10 * 6, PROT_READ | PROT_WRITE, 0);
	try("never, 60% of the memory, noreserve", total / 10 * 6, PROT_READ | PROT_WRITE, MAP_NORESERVE);
	try("never, 60% of the memory, read-only", total / 10 * 6, PROT_READ, 0);
	void *brk0 = sbrk(0);
	printf("never, brk by 60%%: %s\n", sbrk(total / 10 * 6) == (void *)-1 ? strerror(errno) : "ok");
	setvm("overcommit_ratio", "100");
	try("never, ratio 100, 60% of the memory", total / 10 * 6, PROT_READ | PROT_WRITE, 0);
	printf("mode 3: %s\n", strerror(-setvm("overcommit_memory", "3")));
	setvm("overcommit_ratio", "50");
	setvm("overcommit_memory", "0");
	(void)brk0;
	return 0;
}
`

// TestOvercommit checks vm.overcommit_memory's three modes and
// overcommit_ratio under kite run --memory 256M: the heuristic refuses
// one private mapping larger than the memory (not with MAP_NORESERVE),
// mode 1 refuses nothing, and mode 2 refuses committing beyond
// overcommit_ratio percent of the memory, MAP_NORESERVE or not, for mmap
// and brk alike, while read-only private mappings commit nothing.
func TestOvercommit(t *testing.T) {
	src := filepath.Join(workDir, "overcommit_modes.c")
	if err := os.WriteFile(src, []byte(overcommitC), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildC(t, src, variants[0])
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--memory", "256M", "--", bin)
	want := `mode 0
guess, twice the memory: Cannot allocate memory
guess, twice the memory, noreserve: ok
always, twice the memory: ok
never, 64 MiB: ok, committed +64 MiB
never, commit limit half the memory
never, 60% of the memory: Cannot allocate memory
never, 60% of the memory, noreserve: Cannot allocate memory
never, 60% of the memory, read-only: ok
never, brk by 60%: Cannot allocate memory
never, ratio 100, 60% of the memory: ok
mode 3: Invalid argument
`
	if r.status != "exit 0" || r.stdout != want {
		t.Errorf("overcommit modes under kite:\n%s\nwant stdout:\n%s", r, want)
	}
}
