// Package keys is the kernel key retention service (Linux's
// security/keys): keys of the "user", "logon" and "keyring" types with
// serial numbers, owners and permission masks, keyrings that link keys,
// and the per-user keyrings (_uid.N and _uid_ses.N). The thread, process
// and session keyrings a task uses are held by the kernel's tasks; this
// package resolves lookups, searches and permissions over them.
//
// keys imports only x/sys/unix. Locking: Registry.mu guards the serial
// table and the user keyrings; each Key's mu guards its payload, links
// and attributes and is a leaf: no two Key locks are held at once (a
// search copies a keyring's links before it descends).
package keys
