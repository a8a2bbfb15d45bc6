/* settimeofday, adjtimex and clock_adjtime where the host's answer is
 * certain and nothing is changed (the test runs as root on the host: no
 * call here may set the host's clock): the error cases in Linux's order,
 * the NTP state read with modes 0 and ADJ_OFFSET_SS_READ (the state is
 * the host's clock's, so only facts that hold either way are printed),
 * a zero adjtime(3) when the host's clock is not slewing, and a user
 * without CAP_SYS_TIME refused for anything but reading. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	return strerror(e);
}

static void show(const char *label, long r) {
	if (r < 0) printf("%s: %s\n", label, ename(errno));
	else printf("%s: %ld\n", label, r);
}

static long tod(struct timeval *tv, struct timezone *tz) {
	errno = 0;
	return syscall(SYS_settimeofday, tv, tz);
}

static long adj(struct timex *tx) {
	errno = 0;
	return syscall(SYS_adjtimex, tx);
}

static long cadj(long clock, struct timex *tx) {
	errno = 0;
	return syscall(SYS_clock_adjtime, clock, tx);
}

static void reads(const char *who) {
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	long r = adj(&tx);
	printf("%s: adjtimex(0) is TIME_OK or TIME_ERROR: %d\n", who, r == TIME_OK || r == TIME_ERROR);
	printf("%s: TIME_ERROR exactly when STA_UNSYNC or STA_CLOCKERR: %d\n", who,
	       (r == TIME_ERROR) == ((tx.status & (STA_UNSYNC | STA_CLOCKERR)) != 0));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long usec = tx.status & STA_NANO ? tx.time.tv_usec / 1000 : tx.time.tv_usec;
	long long d = (now.tv_sec - tx.time.tv_sec) * 1000000LL + now.tv_nsec / 1000 - usec;
	printf("%s: time is CLOCK_REALTIME's: %d\n", who, d >= 0 && d < 2000000);
	printf("%s: tick %ld tolerance %ld precision %ld\n", who, tx.tick, tx.tolerance, tx.precision);
	printf("%s: errors in range: %d\n", who, tx.maxerror >= 0 && tx.maxerror <= 16000000 && tx.esterror >= 0 && tx.esterror <= 16000000);
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_OFFSET_SS_READ;
	show("ADJ_OFFSET_SS_READ", adj(&tx) >= 0);
	memset(&tx, 0, sizeof tx);
	show("clock_adjtime(CLOCK_REALTIME, 0)", cadj(CLOCK_REALTIME, &tx) >= 0);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct timeval tv;
	struct timezone tz;

	/* settimeofday's checks; none reaches the clock. */
	show("settimeofday(NULL, NULL)", tod(NULL, NULL));
	gettimeofday(&tv, NULL);
	tv.tv_usec = -1;
	show("usec -1", tod(&tv, NULL));
	tv.tv_usec = 1000001;
	show("usec 1000001", tod(&tv, NULL));
	tv.tv_usec = 1000000; /* passes the first check, not the second */
	show("usec 1000000", tod(&tv, NULL));
	tv.tv_usec = 0;
	tv.tv_sec = -1;
	show("sec -1", tod(&tv, NULL));
	show("bad tv", tod((void *)8, NULL));
	show("bad tz", tod(NULL, (void *)8));
	tv.tv_usec = -1;
	show("usec -1 and bad tz: EINVAL first", tod(&tv, (void *)8));
	tv.tv_sec = -1;
	tv.tv_usec = 0;
	show("sec -1 and bad tz: EFAULT first", tod(&tv, (void *)8));
	tz.tz_minuteswest = 15 * 60 + 1;
	tz.tz_dsttime = 0;
	show("tz 15 h 1 min west", tod(NULL, &tz));
	tz.tz_minuteswest = -15 * 60 - 1;
	show("tz 15 h 1 min east", tod(NULL, &tz));

	/* adjtimex's checks. */
	struct timex tx;
	show("adjtimex bad pointer", adj((void *)8));
	memset(&tx, 0, sizeof tx);
	tx.modes = 0x8000; /* ADJ_ADJTIME without ADJ_OFFSET_SINGLESHOT */
	show("ADJ_ADJTIME alone", adj(&tx));
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_TICK;
	tx.tick = 5000;
	show("ADJ_TICK 5000", adj(&tx));
	tx.tick = 20000;
	show("ADJ_TICK 20000", adj(&tx));
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_SETOFFSET;
	tx.time.tv_usec = -1;
	show("ADJ_SETOFFSET usec -1", adj(&tx));
	tx.time.tv_usec = 1000000;
	show("ADJ_SETOFFSET usec 1000000", adj(&tx));
	tx.modes = ADJ_SETOFFSET | ADJ_NANO;
	tx.time.tv_usec = 1000000000;
	show("ADJ_SETOFFSET|ADJ_NANO nsec 1e9", adj(&tx));
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_FREQUENCY;
	tx.freq = 1LL << 62;
	show("ADJ_FREQUENCY out of range", adj(&tx));
	memset(&tx, 0, sizeof tx);
	show("clock_adjtime(CLOCK_MONOTONIC)", cadj(CLOCK_MONOTONIC, &tx));
	show("clock_adjtime(CLOCK_TAI)", cadj(CLOCK_TAI, &tx));
	show("clock_adjtime(CLOCK_PROCESS_CPUTIME_ID)", cadj(CLOCK_PROCESS_CPUTIME_ID, &tx));
	show("clock_adjtime(99)", cadj(99, &tx));
	show("clock_adjtime(99) bad pointer", cadj(99, (void *)8));
	show("clock_adjtime(CLOCK_MONOTONIC) bad pointer", cadj(CLOCK_MONOTONIC, (void *)8));
	reads("root");

	/* adjtime(3) with a zero delta (ADJ_OFFSET_SINGLESHOT, offset 0)
	 * ends the slew in progress: with none (read first) it changes
	 * nothing and returns the old delta, 0. */
	struct timeval zero = {0, 0}, old = {1, 1};
	if (adjtime(NULL, &old) < 0) printf("adjtime read: %s\n", ename(errno));
	else if (old.tv_sec || old.tv_usec) printf("adjtime: the host is slewing\n");
	else {
		old.tv_sec = old.tv_usec = 1;
		show("adjtime(zero)", adjtime(&zero, &old));
		printf("adjtime(zero): old delta %ld.%06ld\n", (long)old.tv_sec, (long)old.tv_usec);
	}

	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0) _exit(2);
		show("user: settimeofday(NULL, NULL)", tod(NULL, NULL));
		gettimeofday(&tv, NULL);
		show("user: settimeofday(now)", tod(&tv, NULL));
		tz.tz_minuteswest = 15 * 60 + 1;
		show("user: tz out of range: EPERM first", tod(NULL, &tz));
		memset(&tx, 0, sizeof tx);
		tx.modes = ADJ_STATUS;
		show("user: ADJ_STATUS", adj(&tx));
		memset(&tx, 0, sizeof tx);
		tx.modes = ADJ_TICK;
		tx.tick = 5000;
		show("user: ADJ_TICK 5000: EPERM first", adj(&tx));
		memset(&tx, 0, sizeof tx);
		tx.modes = ADJ_OFFSET_SINGLESHOT;
		show("user: ADJ_OFFSET_SINGLESHOT", adj(&tx));
		memset(&tx, 0, sizeof tx);
		tx.modes = ADJ_SETOFFSET;
		show("user: ADJ_SETOFFSET", cadj(CLOCK_REALTIME, &tx));
		reads("user");
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
