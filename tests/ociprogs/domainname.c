// Prints the UTS namespace's NIS domain name, as uname(2) reports it.
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
	struct utsname u;
	if (uname(&u) != 0) {
		perror("uname");
		return 1;
	}
	printf("domainname %s\n", u.domainname);
	return 0;
}
