package main

import (
	"os"
	"runtime"
)

// setProcs runs kite with twice as many Ps as the Go runtime would choose
// (unless $GOMAXPROCS says otherwise). A task's thread spends most of its
// time in host system calls (wait4 for its stub's next stop, the futex of
// its Parker), so with one P per CPU every P is usually "in a system
// call" and none is idle; the runtime's sysmon thread then takes each
// such P back after 20 µs and hands it to a spinning thread it wakes, and
// keeps itself at its shortest tick: about a quarter of all host thread
// wake-ups of a Unix-socket ping-pong. With a P to spare it leaves them
// alone and backs off. Measured on 2 CPUs (Dec 7, load 8-11), 512 MiB
// through a socket pair: 41-44k host wake-ups and 1.1-1.2 s of CPU with
// 2 Ps, 31-38k and 0.85-0.92 s with 4.
func setProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
}
