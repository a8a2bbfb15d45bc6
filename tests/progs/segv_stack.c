/* Deep recursion grows the stack page by page until RLIMIT_STACK; the
 * overflow then kills the program with SIGSEGV. */
#include <stdio.h>
#include <string.h>

static int depth(int n, volatile char *prev) {
	volatile char frame[1024];
	memset((char *)frame, n, sizeof frame);
	if (n == 2000) {
		printf("2 MB of stack in use\n");
		fflush(stdout);
	}
	return frame[0] + (prev ? prev[0] : 0) + depth(n + 1, frame);
}

int main(void) {
	printf("start\n");
	fflush(stdout);
	return depth(0, NULL);
}
