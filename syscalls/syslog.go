package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// syslog(2) actions.
const (
	syslogClose        = 0
	syslogOpen         = 1
	syslogRead         = 2
	syslogReadAll      = 3
	syslogReadClear    = 4
	syslogClear        = 5
	syslogConsoleOff   = 6
	syslogConsoleOn    = 7
	syslogConsoleLevel = 8
	syslogSizeUnread   = 9
	syslogSizeBuffer   = 10
)

// syslogRestrict is kernel.dmesg_restrict, 1 as Debian's kernels set
// it: every action needs CAP_SYSLOG.
const syslogRestrict = true

// syslog(type, buf, len) reads and controls kite's kernel log
// (kernel.Printk): dmesg reads it with SYSLOG_ACTION_READ_ALL. A
// restricted action (every one with dmesg_restrict, else all but
// READ_ALL and SIZE_BUFFER) needs CAP_SYSLOG: CAP_SYS_ADMIN alone,
// which syslog(2) documents as accepted but deprecated, is refused as
// by Linux 6.x (EPERM); the check comes before the action's own (EPERM
// before EINVAL).
func syslog(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	typ, buf, n := int(int32(a[0])), a[1], int(int32(a[2]))
	restricted := syslogRestrict || typ != syslogReadAll && typ != syslogSizeBuffer
	if restricted && !t.Credentials().HasGlobalCapability(unix.CAP_SYSLOG) {
		return 0, unix.EPERM
	}
	k := t.Kernel()
	switch typ {
	case syslogClose, syslogOpen:
		return 0, nil
	case syslogRead, syslogReadAll, syslogReadClear:
		if buf == 0 || n < 0 {
			return 0, unix.EINVAL
		}
		if n == 0 {
			return 0, nil
		}
		if typ == syslogRead {
			text, err := k.KlogRead(t, n)
			if err != nil {
				return 0, err
			}
			copied, err := t.CopyOut(buf, text)
			if err != nil && copied == 0 {
				return 0, unix.EFAULT
			}
			return uintptr(copied), nil
		}
		text := k.KlogReadAll(n, typ == syslogReadClear)
		copied, err := t.CopyOut(buf, text)
		if err != nil && copied == 0 && len(text) > 0 {
			return 0, unix.EFAULT
		}
		return uintptr(copied), nil
	case syslogClear:
		k.KlogClear()
		return 0, nil
	case syslogConsoleOff:
		k.KlogConsole(-1)
		return 0, nil
	case syslogConsoleOn:
		k.KlogConsole(0)
		return 0, nil
	case syslogConsoleLevel:
		if n < 1 || n > 8 {
			return 0, unix.EINVAL
		}
		k.KlogConsole(n)
		return 0, nil
	case syslogSizeUnread:
		return uintptr(k.KlogUnread()), nil
	case syslogSizeBuffer:
		return kernel.KlogBufferLen, nil
	}
	return 0, unix.EINVAL
}
