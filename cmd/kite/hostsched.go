package main

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/kernel"
)

// hostSchedLimits reads what the host lets kite do to its threads'
// priorities: nothing is limited with CAP_SYS_NICE in kite's effective
// set; otherwise kite's own RLIMIT_NICE and RLIMIT_RTPRIO bound what the
// kernel may apply (and so what it may let programs set).
func hostSchedLimits() kernel.HostSchedLimits {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err == nil && data[0].Effective&(1<<unix.CAP_SYS_NICE) != 0 {
		return kernel.HostSchedLimits{}
	}
	l := kernel.HostSchedLimits{Limited: true}
	var r unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NICE, &r) == nil {
		l.RLimitNice = r.Cur
	}
	if unix.Getrlimit(unix.RLIMIT_RTPRIO, &r) == nil {
		l.RLimitRTPrio = r.Cur
	}
	return l
}
