/*
 * kite's vDSO: the time functions a C library or the Go runtime calls
 * without entering the kernel. They read the data page kite maps just
 * below the image (vvar, layout in vvar.h, generated from layout.go) and
 * compute the time from the CPU's time-stamp counter with the same
 * formula as kite's own clock (kernel/timekeeping), so a system call and
 * a vDSO call agree. Whatever the page does not cover (CPU-time clocks,
 * unknown clocks, a page kite marked invalid) is the real system call.
 *
 * Built by internal/genvdso (go generate ./arch/vdso): freestanding, no
 * libc, position-independent, no relocations.
 */
#include "vvar.h"

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef unsigned __int128 u128;

struct kite_timespec {
	s64 tv_sec;
	s64 tv_nsec;
};

struct kite_timeval {
	s64 tv_sec;
	s64 tv_usec;
};

struct kite_timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

extern const volatile u64 kite_vvar[VV_WORDS] __attribute__((visibility("hidden")));

#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11

#define NSEC_PER_SEC 1000000000UL

static inline long syscall2(long nr, long a, long b)
{
	long ret;
	asm volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static inline long syscall3(long nr, long a, long b, long c)
{
	long ret;
	asm volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

/*
 * rdtsc_ordered reads the time-stamp counter after every earlier load
 * (the sequence word and the parameters) and before every later one (the
 * sequence word's second read), so a reading that passed the sequence
 * check was taken before any update that check did not see.
 */
static inline u64 rdtsc_ordered(void)
{
	u32 lo, hi;
	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

/*
 * monotonic_ns computes CLOCK_MONOTONIC in nanoseconds and the offset of
 * the clock asked for from it. It returns 0, or -1 when the page is not
 * valid (the caller makes the system call).
 */
static inline int read_clock(int clk, u64 *mono, s64 *off)
{
	u64 seq, tsc, base, mult, ns, frac;
	s64 o;

	for (;;) {
		seq = kite_vvar[VV_SEQ];
		if (seq & 1) {
			cpu_relax();
			continue;
		}
		asm volatile("" : : : "memory");
		if (kite_vvar[VV_MODE] != VV_MODE_TSC)
			return -1;
		base = kite_vvar[VV_TSC_BASE];
		mult = kite_vvar[VV_MULT];
		ns = kite_vvar[VV_MONO_NS];
		frac = kite_vvar[VV_MONO_FRAC];
		switch (clk) {
		case CLOCK_REALTIME:
		case CLOCK_REALTIME_COARSE:
			o = (s64)kite_vvar[VV_REALTIME_OFF];
			break;
		case CLOCK_TAI:
			o = (s64)kite_vvar[VV_REALTIME_OFF] + (s64)kite_vvar[VV_TAI_OFF];
			break;
		case CLOCK_BOOTTIME:
			o = (s64)kite_vvar[VV_BOOTTIME_OFF];
			break;
		case CLOCK_MONOTONIC_RAW:
			o = (s64)kite_vvar[VV_RAW_OFF];
			break;
		default:
			o = 0;
		}
		tsc = rdtsc_ordered();
		asm volatile("" : : : "memory");
		if (kite_vvar[VV_SEQ] == seq)
			break;
	}
	/* A counter behind the base (another CPU's) counts as the base. */
	if ((s64)(tsc - base) < 0)
		tsc = base;
	*mono = ns + (u64)((((u128)(tsc - base)) * mult + frac) >> VV_MULT_SHIFT);
	*off = o;
	return 0;
}

static inline int fast_clock(int clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		return 1;
	}
	return 0;
}

int __vdso_clock_gettime(int clk, struct kite_timespec *ts)
{
	u64 mono;
	s64 off, t;

	if (!fast_clock(clk) || read_clock(clk, &mono, &off) != 0)
		return (int)syscall2(NR_clock_gettime, clk, (long)ts);
	t = (s64)mono + off;
	ts->tv_sec = t / (s64)NSEC_PER_SEC;
	ts->tv_nsec = t % (s64)NSEC_PER_SEC;
	if (ts->tv_nsec < 0) {
		ts->tv_sec--;
		ts->tv_nsec += NSEC_PER_SEC;
	}
	return 0;
}
int clock_gettime(int, struct kite_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));

int __vdso_gettimeofday(struct kite_timeval *tv, struct kite_timezone *tz)
{
	u64 mono;
	s64 off, t;

	if (read_clock(CLOCK_REALTIME, &mono, &off) != 0)
		return (int)syscall2(NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		t = (s64)mono + off;
		tv->tv_sec = t / (s64)NSEC_PER_SEC;
		tv->tv_usec = t % (s64)NSEC_PER_SEC / 1000;
	}
	if (tz) {
		/* kite keeps UTC, as its system call does. */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}
int gettimeofday(struct kite_timeval *, struct kite_timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));

s64 __vdso_time(s64 *tp)
{
	u64 mono;
	s64 off, t;

	if (read_clock(CLOCK_REALTIME, &mono, &off) != 0)
		return syscall2(NR_time, (long)tp, 0);
	t = ((s64)mono + off) / (s64)NSEC_PER_SEC;
	if (tp)
		*tp = t;
	return t;
}
s64 time(s64 *) __attribute__((weak, alias("__vdso_time")));

int __vdso_clock_getres(int clk, struct kite_timespec *res)
{
	u64 ns;

	if (!fast_clock(clk) || kite_vvar[VV_MODE] != VV_MODE_TSC)
		return (int)syscall2(NR_clock_getres, clk, (long)res);
	if (clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE)
		ns = kite_vvar[VV_RES_COARSE];
	else
		ns = kite_vvar[VV_RES_HRES];
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = (s64)ns;
	}
	return 0;
}
int clock_getres(int, struct kite_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));

/*
 * kite's getcpu reports a CPU of the task's affinity mask chosen by
 * thread id, which only the kernel knows: always the system call.
 */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	return syscall3(NR_getcpu, (long)cpu, (long)node, (long)cache);
}
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));

/* The "Linux" note with the kernel version (6.6.0, kite's uname release). */
asm(".pushsection .note.Linux, \"a\", @note\n"
    ".balign 4\n"
    ".long 6\n"		/* name size: "Linux\0" */
    ".long 4\n"		/* descriptor size */
    ".long 0\n"		/* type */
    ".asciz \"Linux\"\n"
    ".balign 4\n"
    ".long 0x060600\n"	/* LINUX_VERSION_CODE of 6.6.0 */
    ".popsection");
