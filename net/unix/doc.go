// Package unix is kite's AF_UNIX family: SOCK_STREAM, SOCK_DGRAM and
// SOCK_SEQPACKET sockets, unnamed (socketpair), bound to a path name (an
// S_IFSOCK inode made through vfs.BindSocketAt on whatever file system
// holds the name), to an abstract name, or autobound; SCM_RIGHTS and
// SCM_CREDENTIALS; SO_PEERCRED; send-buffer accounting that blocks
// writers as Linux's does.
//
// Abstract names belong to a network namespace: each Namespace (the
// net.Family a namespace's socket layer registers) has its own, and
// /proc/net/unix and sock_diag list the namespace's sockets only.
//
// # Data
//
// Every socket has a receive queue of messages. A message is charged to
// its sender's send buffer (wmem) until it is read, so a writer blocks
// when what it has sent and the peer has not read reaches SO_SNDBUF, and
// wakes when the reader drains it. Datagram senders also wait for room in
// the receiver's queue (at most max_dgram_qlen messages beyond the first)
// on the receiver's peerWait queue.
//
// # Locking
//
// Lock order: a listener's endpoint.mu, then a connecting socket's
// endpoint.mu (connect); endpoint.mu, then Family.mu or Namespace.mu (each a leaf).
// Otherwise code holds
// at most one endpoint.mu at a time: a sender looks up its peer under its
// own lock, drops it, then takes the peer's to queue a message. wmem is
// atomic so a reader can uncharge a sender without its lock. Notify is
// always called without locks held.
//
// It imports net, vfs, auth and x/sys/unix.
package unix
