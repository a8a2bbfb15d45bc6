/* The load average: a busy loop raises the 1-minute load of /proc/loadavg
 * above 0 (Linux folds the number of running tasks into it every 5
 * seconds), sysinfo reports it too (16 fraction bits), and the running
 * and thread counts include the reader. The host's load counts the whole
 * machine, so only "above 0" is certain on both. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <time.h>

static int readload(double *l1, int *running, int *threads) {
	FILE *f = fopen("/proc/loadavg", "r");
	if (!f)
		return -1;
	double l5, l15;
	int last;
	int n = fscanf(f, "%lf %lf %lf %d/%d %d", l1, &l5, &l15, running, threads, &last);
	fclose(f);
	return n == 6 ? 0 : -1;
}

int main(void) {
	double l1 = 0;
	int running = 0, threads = 0;
	volatile unsigned long sink = 0;
	for (;;) {
		if (readload(&l1, &running, &threads) < 0) {
			printf("cannot read /proc/loadavg\n");
			return 1;
		}
		if (l1 > 0)
			break;
		if (clock() > 120 * (clock_t)CLOCKS_PER_SEC) {
			printf("1-minute load still 0 after 2 minutes of CPU\n");
			return 1;
		}
		for (unsigned long i = 0; i < 20000000; i++)
			sink += i;
	}
	printf("1-minute load rose above 0: yes\n");
	printf("running at least 1 (the reader): %s\n", running >= 1 ? "yes" : "no");
	printf("threads at least running: %s\n", threads >= running ? "yes" : "no");
	struct sysinfo si;
	if (sysinfo(&si)) {
		perror("sysinfo");
		return 1;
	}
	printf("sysinfo 1-minute load above 0: %s\n", si.loads[0] > 0 ? "yes" : "no");
	printf("sysinfo procs at least 1: %s\n", si.procs >= 1 ? "yes" : "no");
	return 0;
}
