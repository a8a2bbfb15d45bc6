/* SEEK_DATA and SEEK_HOLE on a sparse memfd as big as a file can be:
 * the answer must come from the pages that exist, not a walk of every
 * page (kite hung in such a walk, found by sysfuzz). */
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
int main(void){
  int fd = memfd_create("x", 0);
  ftruncate(fd, 0x7fffffffffffffffLL);
  off_t r = lseek(fd, 0x1ff, SEEK_DATA);
  printf("data %lld %s\n", (long long)r, r<0?strerror(errno):"");
  r = lseek(fd, 0x1ff, SEEK_HOLE);
  printf("hole %lld\n", (long long)r);
  pwrite(fd, "a", 1, 1LL<<40);
  pwrite(fd, "b", 1, (1LL<<40)+4096*600);
  r = lseek(fd, 5, SEEK_DATA); printf("data %lld\n", (long long)r);
  r = lseek(fd, 1LL<<40, SEEK_HOLE); printf("hole %lld\n", (long long)r);
  r = lseek(fd, (1LL<<40)+4096, SEEK_DATA); printf("data %lld\n", (long long)r);
  r = lseek(fd, (1LL<<40)+4096*601, SEEK_DATA); printf("data %lld %s\n", (long long)r, r<0?strerror(errno):"");
  r = lseek(fd, 0x7ffffffffffffff0LL, SEEK_HOLE); printf("hole %lld\n", (long long)r);
  return 0;
}
