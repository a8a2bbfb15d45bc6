package tests

import (
	"path/filepath"
	"strings"
	"testing"
)

// Programs in kiteprogs/ run under kite only: they change what on the
// host would be the machine's (its inotify limits, its clock). Each
// checks every result against Linux's documented behaviour itself and
// prints FAIL for a difference, then "0 failures".

// runKiteOnly builds kiteprogs/NAME.c in every variant and runs it under
// kite with the extra kite flags.
func runKiteOnly(t *testing.T, name string, flags ...string) {
	src, _ := filepath.Abs("kiteprogs/" + name + ".c")
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			bin := buildC(t, src, v)
			argv := append(append([]string{kiteBin, "run"}, flags...), "--", bin)
			r := underKite(runCmd(t, nil, testEnv, argv...))
			if r.status != "exit 0" || strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "\n0 failures\n") {
				t.Errorf("%s under kite:\n%s", name, r)
			}
		})
	}
}

// TestInotifySetLimitsInKite lowers /proc/sys/fs/inotify's limits as root
// and checks EMFILE, ENOSPC and IN_Q_OVERFLOW at them.
func TestInotifySetLimitsInKite(t *testing.T) {
	runKiteOnly(t, "inotify_setlimits")
}

// TestClockSettimeInKite sets kite's CLOCK_REALTIME and checks
// TFD_TIMER_CANCEL_ON_SET, with the vDSO and without it.
func TestClockSettimeInKite(t *testing.T) {
	t.Run("vdso", func(t *testing.T) { runKiteOnly(t, "timerfd_cancel") })
	t.Run("novdso", func(t *testing.T) { runKiteOnly(t, "timerfd_cancel", "--vdso=false") })
}

// TestRealtimeAbsInKite sets kite's CLOCK_REALTIME under absolute
// realtime timer_create timers and clock_nanosleep sleepers: they follow
// the clock; relative ones do not.
func TestRealtimeAbsInKite(t *testing.T) {
	runKiteOnly(t, "realtime_abs")
}

// TestTimeSetInKite sets kite's clock with settimeofday and adjtimex's
// ADJ_SETOFFSET, and the NTP state adjtimex keeps.
func TestTimeSetInKite(t *testing.T) {
	runKiteOnly(t, "time_set")
}

// TestSyslogActionsInKite reads and clears kite's kernel log with
// syslog(2) (SYSLOG_ACTION_READ, READ_CLEAR, CLEAR, SIZE_UNREAD), a READ
// blocking until the OOM killer logs the child it kills.
func TestSyslogActionsInKite(t *testing.T) {
	runKiteOnly(t, "syslog_actions", "--memory", "128M")
}

// TestKmsgWriteInKite writes to kite's /dev/kmsg and reads the records
// back (blocked reader, poll, levels and facilities, escaping, SEEK_DATA
// after a clear, EPIPE for an overwritten position).
func TestKmsgWriteInKite(t *testing.T) {
	runKiteOnly(t, "kmsg_write")
}
