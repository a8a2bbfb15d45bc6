/* Run under kite only (it sets CLOCK_REALTIME and the NTP state):
 * settimeofday with CAP_SYS_TIME sets the clock as clock_settime does;
 * adjtimex's ADJ_SETOFFSET steps it; the maximum and estimated error,
 * the time constant and STA_UNSYNC are kept and reported (STA_UNSYNC
 * makes adjtimex return TIME_ERROR, as Linux); ADJ_NANO reports
 * nanoseconds; what kite cannot do (change the clock's rate, the TAI
 * offset, a time zone other than UTC) fails with EOPNOTSUPP. Each check
 * prints "ok" or what it got; the test wants no "FAIL". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void check(const char *label, int ok, long got) {
	if (ok) {
		printf("%s: ok\n", label);
		return;
	}
	printf("%s: FAIL (got %ld, errno %d)\n", label, got, errno);
	fails++;
}

static const int64_t sec = 1000000000LL, hour = 3600 * sec;

static int64_t now_ns(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * sec + ts.tv_nsec;
}

static int near(int64_t a, int64_t b) { return a - b < 5 * sec && b - a < 5 * sec; }

static int adj(struct timex *tx, int modes) {
	memset(tx, 0, sizeof *tx);
	tx->modes = modes;
	errno = 0;
	return adjtimex(tx);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("FAIL: needs root\n");
		return 1;
	}
	int64_t real0 = now_ns(CLOCK_REALTIME), mono0 = now_ns(CLOCK_MONOTONIC);

	struct timeval tv = {(real0 + 5 * hour) / sec, 0};
	errno = 0;
	int r = syscall(SYS_settimeofday, &tv, NULL);
	check("settimeofday 5 h ahead", r == 0, r);
	check("CLOCK_REALTIME reads it", near(now_ns(CLOCK_REALTIME), real0 + 5 * hour), 0);
	struct timezone tz = {0, 0};
	r = syscall(SYS_settimeofday, NULL, &tz);
	check("time zone UTC", r == 0, r);
	tz.tz_minuteswest = 60;
	errno = 0;
	r = syscall(SYS_settimeofday, NULL, &tz);
	check("another time zone is EOPNOTSUPP", r < 0 && errno == EOPNOTSUPP, r);

	struct timex tx;
	r = adj(&tx, ADJ_SETOFFSET);
	tx.modes = ADJ_SETOFFSET;
	tx.time.tv_sec = -4 * 3600;
	tx.time.tv_usec = 0;
	r = adjtimex(&tx);
	check("ADJ_SETOFFSET -4 h", r >= 0, r);
	check("the clock stepped back", near(now_ns(CLOCK_REALTIME), real0 + hour), 0);
	check("the time reported is the new one", near(tx.time.tv_sec * sec, real0 + hour), tx.time.tv_sec);

	adj(&tx, ADJ_MAXERROR | ADJ_ESTERROR);
	tx.modes = ADJ_MAXERROR | ADJ_ESTERROR;
	tx.maxerror = 1000;
	tx.esterror = 20;
	r = adjtimex(&tx);
	check("ADJ_MAXERROR|ADJ_ESTERROR", r >= 0, r);
	r = adj(&tx, 0);
	check("maximum error kept (grows 500 us a second)", tx.maxerror >= 1000 && tx.maxerror < 1000 + 500 * 10, tx.maxerror);
	check("estimated error kept", tx.esterror == 20, tx.esterror);

	adj(&tx, 0);
	tx.modes = ADJ_STATUS;
	tx.status = STA_UNSYNC;
	r = adjtimex(&tx);
	check("STA_UNSYNC set: TIME_ERROR", r == TIME_ERROR && (tx.status & STA_UNSYNC), r);
	adj(&tx, 0);
	tx.modes = ADJ_STATUS;
	tx.status = 0;
	r = adjtimex(&tx);
	check("STA_UNSYNC cleared: TIME_OK", r == TIME_OK && !(tx.status & STA_UNSYNC), r);

	adj(&tx, 0);
	tx.modes = ADJ_TIMECONST;
	tx.constant = 3;
	adjtimex(&tx);
	check("time constant 3 (+4 in microseconds)", tx.constant == 7, tx.constant);

	r = adj(&tx, ADJ_NANO);
	check("ADJ_NANO: STA_NANO", r >= 0 && (tx.status & STA_NANO), tx.status);
	check("time in nanoseconds", near(tx.time.tv_sec * sec + tx.time.tv_usec, now_ns(CLOCK_REALTIME)), tx.time.tv_usec);
	r = adj(&tx, ADJ_MICRO);
	check("ADJ_MICRO: no STA_NANO", r >= 0 && !(tx.status & STA_NANO) && tx.time.tv_usec < 1000000, tx.status);

	int bad[] = {ADJ_FREQUENCY, ADJ_OFFSET, ADJ_TICK, ADJ_TAI, ADJ_OFFSET_SINGLESHOT};
	const char *names[] = {"ADJ_FREQUENCY", "ADJ_OFFSET", "ADJ_TICK", "ADJ_TAI", "ADJ_OFFSET_SINGLESHOT 1 ms"};
	for (int i = 0; i < 5; i++) {
		adj(&tx, 0);
		tx.modes = bad[i];
		// A slew kite cannot make (adjtime with a zero delta, which
		// only reads, succeeds).
		tx.offset = 1000;
		errno = 0;
		r = adjtimex(&tx);
		char label[64];
		snprintf(label, sizeof label, "%s is EOPNOTSUPP", names[i]);
		check(label, r < 0 && errno == EOPNOTSUPP, r);
	}
	adj(&tx, 0);
	tx.modes = ADJ_STATUS;
	tx.status = STA_PLL;
	errno = 0;
	r = adjtimex(&tx);
	check("STA_PLL is EOPNOTSUPP", r < 0 && errno == EOPNOTSUPP, r);

	struct timespec back = {(real0 + now_ns(CLOCK_MONOTONIC) - mono0) / sec, 0};
	clock_settime(CLOCK_REALTIME, &back);
	printf("%d failures\n", fails);
	return fails != 0;
}
