// Package auth holds credentials (user and group ids, supplementary groups,
// capabilities) and the permission checks that vfs and kernel share. It
// imports only the standard library, x/sys/unix and auth/landlock (a
// task's Landlock domain is part of its credentials).
package auth
