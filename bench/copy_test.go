package bench

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// copyPathsC times the ways kite could copy file data between two pages
// of its memory file, against the host's own tmpfs read and write, on
// the same host in the same minutes (microseconds per MiB, the fastest
// and the median of the rounds). A tmpfs read under kite is a host
// pread of the memory file into kite's mapping of the program's buffer
// (kite-pread); the alternatives copy through kite's own mapping of the
// file's pages (memcpy: warm once kite has touched them, first-touch
// otherwise), through another process's mapping (process_vm_readv), or
// keep the file in huge pages (a private tmpfs instance with huge=always,
// where the host allows mounting one). Writes go into fresh pages, as a
// file being written does.
const copyPathsC = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define MIB (1L << 20)
#define COLD 32L
static char buf[MIB] __attribute__((aligned(4096)));
static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}
enum { HREAD, KREAD, KREADV, VMREAD, WARM, COLDCP, COLDPOP, HWRITE, KWRITE, KWRITEMAP, HUGEWRITE, HUGEREAD, HUGECOLD, NV };
static const char *names[NV] = {
	"host-pread", "kite-pread", "kite-pread-4-pieces", "process_vm_readv", "memcpy-warm",
	"memcpy-first-touch", "memcpy-first-touch-populated", "host-write-fresh", "kite-pwrite-fresh",
	"memcpy-into-fresh", "huge-tmpfs-pwrite-fresh", "huge-tmpfs-pread", "huge-tmpfs-memcpy-first-touch",
};
static double t[NV][64];
static int cnt[NV];
static void rec(int k, double t0, long mib) { t[k][cnt[k]++] = (now() - t0) / mib * 1e6; }
/* hugeFile returns a file on a private tmpfs instance with huge=always
 * (mounted nowhere), or -1 where that is not allowed. */
static int hugeFile(void) {
	int fs = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
	if (fs < 0) return -1;
	if (syscall(SYS_fsconfig, fs, 1 /* SET_STRING */, "huge", "always", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, 6 /* CMD_CREATE */, 0, 0, 0) < 0) { close(fs); return -1; }
	int mnt = syscall(SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
	close(fs);
	if (mnt < 0) return -1;
	int fd = openat(mnt, "f", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	close(mnt);
	return fd;
}
int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 256;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (rounds > 64) rounds = 64;
	memset(buf, 'k', MIB);
	char path[64];
	snprintf(path, sizeof path, "/dev/shm/copypaths.%d", getpid());
	int sfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	unlink(path);
	/* kite's memory file: a sparse memfd mapped whole */
	long size = 256L << 30;
	int fd = memfd_create("copypaths", MFD_CLOEXEC);
	if (sfd < 0 || fd < 0 || ftruncate(fd, size)) { perror("setup"); return 1; }
	char *m = mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (m == MAP_FAILED) { perror("mmap"); return 1; }
	long B = 0, A = 2 * MIB, F = A + n * MIB; /* program buffer, file, fresh frames */
	memset(m + B, 'k', MIB);
	/* the host's file and kite's file from the same stretch of the host's
	 * free memory: the speed of a copy depends on where the pages are */
	for (long i = 0; i < n; i++) {
		if (write(sfd, buf, MIB) != MIB || pwrite(fd, m + B, MIB, A + i * MIB) != MIB) { perror("fill"); return 1; }
	}
	int hfd = hugeFile();
	int pfd[2];
	if (pipe(pfd)) return 1;
	pid_t child = fork();
	if (child == 0) { char c; read(pfd[0], &c, 1); _exit(0); }
	for (int r = 0; r < rounds; r++) {
		double t0 = now();
		for (long i = 0; i < n; i++) pread(sfd, buf, MIB, i * MIB);
		rec(HREAD, t0, n);
		t0 = now();
		for (long i = 0; i < n; i++) pread(fd, m + B, MIB, A + i * MIB);
		rec(KREAD, t0, n);
		t0 = now();
		for (long i = 0; i < n; i++)
			for (long j = 0; j < 4; j++) pread(fd, m + B + j * MIB / 4, MIB / 4, A + i * MIB + j * MIB / 4);
		rec(KREADV, t0, n);
		t0 = now();
		for (long i = 0; i < n; i++) {
			struct iovec l = {m + B, MIB}, rv = {m + A + i * MIB, MIB};
			process_vm_readv(child, &l, 1, &rv, 1, 0);
		}
		rec(VMREAD, t0, n);
		t0 = now();
		for (long i = 0; i < n; i++) memcpy(m + B, m + A + i * MIB, MIB);
		rec(r == 0 ? COLDCP : WARM, t0, n); /* the first pass touches the file's pages in this mapping first */
		/* first touch after MADV_POPULATE_READ, on fresh frames */
		for (long i = 0; i < COLD; i++) pwrite(fd, buf, MIB, F + i * MIB);
		madvise(m + F, COLD * MIB, 22 /* MADV_POPULATE_READ */);
		t0 = now();
		for (long i = 0; i < COLD; i++) memcpy(m + B, m + F + i * MIB, MIB);
		rec(COLDPOP, t0, COLD);
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, F, COLD * MIB);
		F += COLD * MIB;
		/* writes into fresh pages */
		int wfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		unlink(path);
		t0 = now();
		for (long i = 0; i < COLD; i++) write(wfd, buf, MIB);
		rec(HWRITE, t0, COLD);
		close(wfd);
		t0 = now();
		for (long i = 0; i < COLD; i++) pwrite(fd, m + B, MIB, F + i * MIB);
		rec(KWRITE, t0, COLD);
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, F, COLD * MIB);
		F += COLD * MIB;
		t0 = now();
		for (long i = 0; i < COLD; i++) memcpy(m + F + i * MIB, m + B, MIB);
		rec(KWRITEMAP, t0, COLD);
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, F, COLD * MIB);
		F += COLD * MIB;
		if (hfd >= 0) {
			t0 = now();
			for (long i = 0; i < COLD; i++) pwrite(hfd, buf, MIB, i * MIB);
			rec(HUGEWRITE, t0, COLD);
			t0 = now();
			for (long i = 0; i < COLD; i++) pread(hfd, buf, MIB, i * MIB);
			rec(HUGEREAD, t0, COLD);
			char *h = mmap(0, COLD * MIB, PROT_READ, MAP_SHARED, hfd, 0);
			t0 = now();
			for (long i = 0; i < COLD; i++) memcpy(buf, h + i * MIB, MIB);
			rec(HUGECOLD, t0, COLD);
			munmap(h, COLD * MIB);
			ftruncate(hfd, 0);
		}
	}
	write(pfd[1], "x", 1);
	waitpid(child, 0, 0);
	for (int k = 0; k < NV; k++) {
		if (cnt[k] == 0) continue;
		qsort(t[k], cnt[k], sizeof(double), cmp);
		printf("%s %.1f %.1f\n", names[k], t[k][0], t[k][cnt[k] / 2]);
	}
	return 0;
}
`

// BenchmarkCopyPaths runs copyPathsC once per b.N (-benchtime 1x) on a
// 256 MiB file, seven rounds, and reports each path's fastest round in
// microseconds per MiB (the medians are logged): what a read or write of
// 1 MiB costs the host's kernel against what each of kite's ways of
// copying would cost it.
func BenchmarkCopyPaths(b *testing.B) {
	bin := buildProg(b, "copypaths", copyPathsC)
	for i := 0; i < b.N; i++ {
		out, err := exec.Command(bin, "256", "7").Output()
		if err != nil {
			b.Fatalf("%s: %v", bin, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var name string
			var best, med float64
			if _, err := fmt.Sscan(line, &name, &best, &med); err != nil {
				b.Fatalf("%s printed %q", bin, line)
			}
			b.ReportMetric(best, name+"-us/MiB")
			b.Logf("%-32s fastest %8.1f  median %8.1f us/MiB", name, best, med)
		}
	}
}

// placementC writes nf memfds of 128 MiB one after the other and prints,
// for each, how physically contiguous its pages came out (the share of
// pages whose page frame follows the previous page's, and how often the
// 2 MiB region of the frame changes from one page to the next, out of
// 32,768 pages: /proc/self/pagemap, root only), how long the write took
// and the fastest of seven reads (microseconds per MiB).
const placementC = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#define MIB (1L << 20)
static char buf[MIB] __attribute__((aligned(4096)));
static uint64_t ents[MIB / 8 * 32];
static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
int main(int argc, char **argv) {
	int nf = atoi(argv[1]);
	long n = 128, pages = n * MIB / 4096;
	int fds[64];
	double wt[64];
	memset(buf, 'k', MIB);
	for (int f = 0; f < nf && f < 64; f++) {
		fds[f] = memfd_create("placement", MFD_CLOEXEC);
		double t0 = now();
		for (long i = 0; i < n; i++) pwrite(fds[f], buf, MIB, i * MIB);
		wt[f] = (now() - t0) / n * 1e6;
	}
	int pm = open("/proc/self/pagemap", O_RDONLY);
	for (int f = 0; f < nf && f < 64; f++) {
		char *m = mmap(0, n * MIB, PROT_READ, MAP_SHARED | MAP_POPULATE, fds[f], 0);
		long follow = 0, regions = 0;
		uint64_t prev = 0, prevr = ~0ULL;
		if (pread(pm, ents, pages * 8, (uintptr_t)m / 4096 * 8) != pages * 8) { perror("pagemap"); return 1; }
		for (long i = 0; i < pages; i++) {
			uint64_t pfn = ents[i] & ((1ULL << 55) - 1);
			if (pfn == 0) { fprintf(stderr, "no page frame numbers: not root?\n"); return 1; }
			if (i && pfn == prev + 1) follow++;
			if (pfn >> 9 != prevr) regions++;
			prevr = pfn >> 9;
			prev = pfn;
		}
		munmap(m, n * MIB);
		double best = 1e9;
		for (int r = 0; r < 7; r++) {
			double t0 = now();
			for (long i = 0; i < n; i++) pread(fds[f], buf, MIB, i * MIB);
			double d = (now() - t0) / n * 1e6;
			if (d < best) best = d;
		}
		printf("%d %.1f %ld %.1f %.1f\n", f, 100.0 * follow / pages, regions, wt[f], best);
	}
	return 0;
}
`

// BenchmarkPagePlacement shows what sets the speed of a tmpfs copy on a
// paravirtualized host: where the host put the pages. The first memory a
// program takes comes from the host's scattered free fragments (fast to
// write, slow to read); later memory from free 2 MiB blocks (fast to
// read; slow to write if the balloon had reported the block to the
// hypervisor). kite's file and the host's file get whichever the host
// hands out, which is most of the spread between runs.
func BenchmarkPagePlacement(b *testing.B) {
	bin := buildProg(b, "placement", placementC)
	for i := 0; i < b.N; i++ {
		out, err := exec.Command(bin, "8").Output()
		if err != nil {
			b.Fatalf("%s: %v", bin, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var f int
			var follow, regions, write, read float64
			if _, err := fmt.Sscan(line, &f, &follow, &regions, &write, &read); err != nil {
				b.Fatalf("%s printed %q", bin, line)
			}
			b.Logf("file %d: %5.1f%% of pages follow their neighbour, %5.0f changes of 2 MiB region; write %6.0f, read %6.1f us/MiB", f, follow, regions, write, read)
		}
	}
}
