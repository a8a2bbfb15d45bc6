/* SOL_SOCKET options with privilege rules (also run as uid 1000 without
 * capabilities): SO_MARK needs CAP_NET_RAW or CAP_NET_ADMIN, SO_PRIORITY
 * outside 0..6 likewise, SO_BUSY_POLL refuses negative values. */
#include "sock_common.h"

int main(void) {
	int s = socket(AF_UNIX, SOCK_STREAM, 0), v, r;
	socklen_t l;
	int vals[] = {0, 3, 6, 7, 100, -1};
	for (int i = 0; i < 6; i++) {
		v = vals[i];
		printf("value %d\n", v);
		CHECK("SO_PRIORITY", setsockopt(s, SOL_SOCKET, SO_PRIORITY, &v, 4));
		l = 4; getsockopt(s, SOL_SOCKET, SO_PRIORITY, &r, &l);
		printf("  now %d\n", r);
		CHECK("SO_MARK", setsockopt(s, SOL_SOCKET, SO_MARK, &v, 4));
		l = 4; getsockopt(s, SOL_SOCKET, SO_MARK, &r, &l);
		printf("  now %d\n", r);
		CHECK("SO_BUSY_POLL", setsockopt(s, SOL_SOCKET, SO_BUSY_POLL, &v, 4));
		l = 4; getsockopt(s, SOL_SOCKET, SO_BUSY_POLL, &r, &l);
		printf("  now %d\n", r);
	}
	close(s);
	return 0;
}
