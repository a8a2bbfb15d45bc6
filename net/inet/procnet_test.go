package inet

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

func TestProcNet(t *testing.T) {
	st, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := vfs.KernelContext{Creds: auth.New(1000, 1000, nil)}
	fam := &family{st: st, domain: unix.AF_INET}
	so, err := fam.Socket(ctx, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer so.Release(ctx)
	so.SetFile(nil, 4242)
	addr := make([]byte, 16)
	binary.LittleEndian.PutUint16(addr, unix.AF_INET)
	copy(addr[4:], []byte{127, 0, 0, 1})
	if err := so.Bind(ctx, addr); err != nil {
		t.Fatal(err)
	}
	if err := so.Listen(ctx, 5); err != nil {
		t.Fatal(err)
	}
	name, _ := so.Name(ctx)
	port := binary.BigEndian.Uint16(name[2:])
	files := fam.ProcNet()
	tcpText := string(files["tcp"]())
	want := fmt.Sprintf("   0: 0100007F:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 ", port)
	if !strings.Contains(tcpText, want) {
		t.Errorf("/proc/net/tcp lacks %q:\n%s", want, tcpText)
	}
	for _, l := range strings.Split(strings.TrimSuffix(tcpText, "\n"), "\n") {
		if len(l) != 149 {
			t.Errorf("/proc/net/tcp line of %d characters, want 149: %q", len(l), l)
		}
	}
	if got := string(files["tcp6"]()); strings.Count(got, "\n") != 1 {
		t.Errorf("/proc/net/tcp6 shows IPv4 sockets:\n%s", got)
	}
	if got, want := string(files["if_inet6"]()), "00000000000000000000000000000001 01 80 10 80       lo\n"; got != want {
		t.Errorf("/proc/net/if_inet6 = %q, want %q", got, want)
	}
	if got := string(files["dev"]()); !strings.Contains(got, "\n    lo: ") {
		t.Errorf("/proc/net/dev lacks lo:\n%s", got)
	}
	so.Release(ctx)
	if got := string(files["tcp"]()); strings.Count(got, "\n") != 1 {
		t.Errorf("/proc/net/tcp still shows a closed socket:\n%s", got)
	}
}

// TestProcSnmp reads snmp, snmp6 and netstat (every counter name the
// code asks tcpip for must exist) and checks each header line has as
// many values as names.
func TestProcSnmp(t *testing.T) {
	st, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fam := &family{st: st, domain: unix.AF_INET}
	files := fam.ProcNet()
	for _, name := range []string{"snmp", "netstat"} {
		lines := strings.Split(strings.TrimSuffix(string(files[name]()), "\n"), "\n")
		if len(lines)%2 != 0 {
			t.Fatalf("/proc/net/%s has an odd number of lines:\n%s", name, strings.Join(lines, "\n"))
		}
		for i := 0; i < len(lines); i += 2 {
			h, v := strings.Fields(lines[i]), strings.Fields(lines[i+1])
			if len(h) != len(v) || h[0] != v[0] {
				t.Errorf("/proc/net/%s: %q does not match %q", name, lines[i], lines[i+1])
			}
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(files["snmp6"]()), "\n"), "\n") {
		if f := strings.Fields(l); len(f) != 2 {
			t.Errorf("/proc/net/snmp6 line %q is not a name and a value", l)
		}
	}
}
