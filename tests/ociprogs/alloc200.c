/* Allocates and touches 200 MB, 1 MB at a time (a container memory limit test). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
	printf("allocating\n"); fflush(stdout);
	for (int i = 0; i < 200; i++) {
		char *p = malloc(1 << 20);
		if (!p) { printf("malloc failed at %d MB\n", i); return 3; }
		memset(p, 1, 1 << 20);
	}
	printf("allocated 200 MB\n");
	return 0;
}
