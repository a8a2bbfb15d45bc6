package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// nsNote is what the namespace calls cover.
const nsNote = "UTS, IPC, mount, user, network, PID, cgroup (one root cgroup) and time namespaces"

func unshare(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.Unshare(uint64(a[0]))
}

func setns(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, _, err := t.FDTable().Get(int32(a[0]))
	if err != nil {
		return 0, unix.EBADF
	}
	defer f.DecRef(t)
	ns, ok := kernel.NamespaceOfFile(f)
	if !ok {
		// A pidfd names every namespace of its process.
		tg, err := kernel.PIDFDProcess(f)
		if err != nil {
			return 0, unix.EINVAL
		}
		return 0, t.SetNamespacesOf(tg, int(int32(a[1])))
	}
	return 0, t.SetNamespace(ns, int(int32(a[1])))
}

// hostNameMax is __NEW_UTS_LEN.
const hostNameMax = 64

func setUTSName(t *kernel.Task, a arch.SyscallArgs, domain bool) (uintptr, error) {
	ns := t.Namespaces().UTS
	if !t.Credentials().HasCapabilityIn(unix.CAP_SYS_ADMIN, ns.Owner()) {
		return 0, unix.EPERM
	}
	n := int(int32(a[1]))
	if n < 0 || n > hostNameMax {
		return 0, unix.EINVAL
	}
	b := make([]byte, n)
	if err := copyInFull(t, a[0], b); err != nil {
		return 0, err
	}
	return 0, ns.SetHostname(t.Credentials(), string(b), domain)
}

func sethostname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return setUTSName(t, a, false)
}

func setdomainname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return setUTSName(t, a, true)
}
