// Package net is kite's socket layer. A socket is a vfs.File on the
// never-mounted sockfs whose operations (File) wrap one Socket: the
// per-family behaviour behind one small interface. The layer owns what is
// common to every family: the file (read, write, poll, fstat's S_IFSOCK,
// "socket:[INODE]"), SOL_SOCKET options that do not depend on the family
// (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_RCVTIMEO, SO_SNDTIMEO, SO_LINGER...)
// with the rest dispatched to the family, the marshalling of struct
// msghdr, iovecs, sockaddrs and control messages (SCM_RIGHTS,
// SCM_CREDENTIALS), interruptible waits with socket timeouts, and the
// errno rules of socket(2) (EAFNOSUPPORT for a family nobody registered).
//
// A Stack is the socket layer of one kernel instance: the families
// registered in it (net/unix for AF_UNIX; net/inet later). There is no
// global state; cmd/kite builds a Stack, registers families and gives it
// to the kernel.
//
// A Stack counts its users (IncRef, DecRef): every open socket, and
// what the kernel counts for a network namespace (its tasks and
// namespace files). When the count falls to zero the idle function the
// kernel installed may close it (CloseIfUnused), which runs the
// families' closers: a dead namespace's TCP/IP stack stops its
// goroutines and timers.
//
// # Blocking
//
// Socket operations block through Wait: without a timeout an interrupted
// wait returns ERESTARTSYS (restarted after an SA_RESTART handler or when
// no handler runs); with SO_RCVTIMEO or SO_SNDTIMEO set it returns EINTR,
// and EAGAIN when the timeout passes, as Linux's sock_intr_errno and
// sock_rcvtimeo do.
//
// # Locking
//
// Stack.mu (the family table), Stack.refMu (its users), Options.mu (one socket's SOL_SOCKET
// options) and inode.mu (a socket inode's attributes) are leaves: net
// holds one at a time and calls nothing under it. A family's own locks
// (net/unix's endpoint.mu) come before Options.mu. Stack.nsMu (the
// namespace ids a stack gives others) comes before other stacks'
// refMu, which Closed takes under it.
//
// net imports vfs, auth, arch and x/sys/unix.
package net
