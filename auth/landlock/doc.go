// Package landlock is kite's Landlock: the rulesets that
// landlock_create_ruleset(2) and landlock_add_rule(2) build and the
// domains that landlock_restrict_self(2) makes of them, with the access
// decisions the VFS asks for (landlock(7)).
//
// A Domain is immutable and hangs on a task's credentials
// (auth.Credentials.Landlock), so it is inherited across fork, clone and
// execve and belongs to one thread, as on Linux. Each restriction stacks
// one more layer on the caller's domain; an access is allowed only when
// every layer that handles it has a rule granting it on the file or one of
// the directories above it.
//
// The package knows nothing of files: a rule is attached to an object,
// a comparable value the caller chooses (the VFS uses the inode, so that
// hard links and bind mounts share rules), and a decision takes the
// objects met walking from the file up to the root of the mount
// namespace. It imports only the standard library and x/sys/unix, so that
// auth can hold a Domain.
//
// Kite implements ABI version 5: the file-system rights of Linux 6.2
// (LANDLOCK_ACCESS_FS_EXECUTE through LANDLOCK_ACCESS_FS_TRUNCATE, REFER
// included), TCP bind and connect rights on ports (Linux 6.7) and
// LANDLOCK_ACCESS_FS_IOCTL_DEV (Linux 6.10). Scoping (ABI 6) and audit
// flags (7) are refused as unknown bits.
package landlock
