/* The first differential test: write to stdout and stderr, exit 3. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
	printf("hello from %s, argc=%d\n", strrchr(argv[0], '.'), argc);
	fflush(stdout);
	const char msg[] = "to stderr\n";
	write(2, msg, sizeof msg - 1);
	return 3;
}
