package inet

import (
	"fmt"
	stdnet "net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// snmpField returns section's field name of /proc/net/snmp's text b.
func snmpField(t *testing.T, b []byte, section, name string) int64 {
	t.Helper()
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != section+":" || len(vals) != len(names) {
			continue
		}
		for j, n := range names {
			if n == name {
				v, err := strconv.ParseInt(vals[j], 10, 64)
				if err != nil {
					t.Fatalf("%s %s: %v", section, name, err)
				}
				return v
			}
		}
	}
	t.Fatalf("no %s %s in\n%s", section, name, b)
	return 0
}

// TestHostNetStatsNamespace checks that a host network made in another
// host network namespace shows that namespace's counters.
func TestHostNetStatsNamespace(t *testing.T) {
	// A datagram over kite's own loopback makes its Udp OutDatagrams
	// count one at least.
	c, err := stdnet.Dial("udp4", "127.0.0.1:9")
	if err != nil {
		t.Skip(err)
	}
	c.Write([]byte("x"))
	c.Close()

	own, err := NewHost()
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if !own.hasNetStats("snmp") {
		t.Skip("the host has no /proc/net/snmp")
	}
	if v := snmpField(t, own.readNetStats("snmp"), "Udp", "OutDatagrams"); v < 1 {
		t.Fatalf("kite's own namespace: Udp OutDatagrams %d, want 1 at least", v)
	}

	// A new namespace, held by a thread that never leaves it.
	path := make(chan string)
	done := make(chan struct{})
	defer close(done)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			path <- "error: " + err.Error()
			return
		}
		path <- fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
		<-done
	}()
	p := <-path
	if strings.HasPrefix(p, "error: ") {
		t.Skip("no new network namespace:", p)
	}
	h, err := NewHostIn(p)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if v := snmpField(t, h.readNetStats("snmp"), "Udp", "OutDatagrams"); v != 0 {
		t.Errorf("new namespace: Udp OutDatagrams %d, want 0", v)
	}
	if s := string(h.readNetStats("sockstat")); !strings.Contains(s, "UDP: inuse 0") {
		t.Errorf("new namespace's sockstat:\n%s", s)
	}
	if h.readNetStats("route") != nil {
		t.Errorf("readNetStats read a file other than the counters")
	}
}

// TestTranslateProcInodes checks that a host raw or ping socket list
// shows the program's sockets with their kite inode numbers and the
// host's others with 0, the rest of each line as the host wrote it.
func TestTranslateProcInodes(t *testing.T) {
	h := &Host{}
	h.setInode(4242, ownSocket{ino: 1007, uid: 65534})
	in := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"   1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 00000000a1b2c3d4 0\n" +
		"  12: 0100007F:0000 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 99999 2 00000000e5f6a7b8 3\n" +
		"garbage\n"
	want := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"   1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000 65534        0 1007 2 00000000a1b2c3d4 0\n" +
		"  12: 0100007F:0000 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 0 2 00000000e5f6a7b8 3\n" +
		"garbage\n"
	if got := string(h.translateProcInodes([]byte(in))); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
