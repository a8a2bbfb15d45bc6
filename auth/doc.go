// Package auth holds credentials (user and group ids, supplementary groups,
// capabilities) and the permission checks that vfs and kernel share. It
// imports only the standard library and x/sys/unix.
package auth
