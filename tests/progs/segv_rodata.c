/* Writing to a read-only page (a string literal) is SEGV_ACCERR; the
 * program dies with SIGSEGV. */
#include <stdio.h>

int main(void) {
	char *s = (char *)"read-only";
	printf("%s\n", s);
	fflush(stdout);
	s[0] = 'R';
	return 0;
}
