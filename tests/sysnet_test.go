package tests

import (
	"os"
	"testing"
)

// loAttrs shows lo's /sys/class/net attributes that do not move (the
// counters do: only that they are numbers is shown), the link, the
// listing of its directory (without power/ and queues/, which kite does
// not have) and the attributes' modes.
const loAttrs = `cd /sys/class/net/lo || exit 1
for a in mtu ifindex iflink flags address broadcast operstate type addr_len tx_queue_len carrier dormant testing dev_id dev_port link_mode addr_assign_type name_assign_type carrier_changes netdev_group proto_down ifalias uevent speed duplex; do
	printf '%s: ' $a; cat $a 2>&1 || echo "(failed)"
done
readlink /sys/class/net/lo subsystem
ls | grep -v -x -e power -e queues
stat -c '%A %s %n' $(ls | grep -v -x -e power -e queues -e statistics -e subsystem)
ls statistics
for f in statistics/*; do case $(cat $f) in ''|*[!0-9]*) echo "not a number: $f";; esac; done
`

// sameNames checks that ls /sys/class/net, ip -o link and python's
// socket.if_nameindex name the same interfaces.
const sameNames = `a=$(ls /sys/class/net)
b=$(ip -o link | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort)
c=$(python3 -c 'import socket; print("\n".join(sorted(n for _, n in socket.if_nameindex())))')
[ "$a" = "$b" ] && [ "$a" = "$c" ] && echo "same names" || printf 'sysfs:\n%s\nip:\n%s\npython:\n%s\n' "$a" "$b" "$c"
`

// TestSysClassNet compares /sys/class/net with the host's: lo's
// attributes (kite's lo has Linux's defaults: mtu 65536, flags 0x9,
// type 772, operstate unknown), the host network's interfaces with
// --net=host, a new network namespace's lo that is down, and that
// netlink (ip), the interface ioctls (python's if_nameindex) and sysfs
// agree on the names.
func TestSysClassNet(t *testing.T) {
	need(t, "/bin/sh", "/usr/sbin/ip", "/usr/bin/python3")
	t.Run("lo", func(t *testing.T) {
		compareNet(t, nil, "/bin/sh", "-c", loAttrs)
	})
	t.Run("lo-host", func(t *testing.T) {
		compareNet(t, []string{"--net=host"}, "/bin/sh", "-c", loAttrs)
	})
	t.Run("names", func(t *testing.T) {
		for _, mode := range []string{"none", "sandbox", "host"} {
			r := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--net="+mode, "--", "/bin/sh", "-c", sameNames))
			if r.stdout != "same names\n" || r.status != "exit 0" {
				t.Errorf("--net=%s: %s", mode, r)
			}
		}
		r := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--", "/bin/ls", "/sys/class/net"))
		if r.stdout != "lo\n" {
			t.Errorf("ls /sys/class/net with --net=none: %s", r)
		}
		compareNetSettled(t, []string{"--net=host"}, "/bin/sh", "-c", sameNames)
	})
	t.Run("host-interfaces", func(t *testing.T) {
		// The host's interfaces (not their counters or state, which
		// other programs may change meanwhile).
		compareNetSettled(t, []string{"--net=host"}, "/bin/sh", "-c", `for d in $(ls /sys/class/net); do
	echo $d $(cd /sys/class/net/$d && cat ifindex mtu flags type address broadcast addr_len tx_queue_len)
done`)
	})
	t.Run("new-netns", func(t *testing.T) {
		// A new network namespace has only lo, down: no carrier
		// (EINVAL), operstate down, flags 0x8. Linux's sysfs shows
		// the network namespace of whoever mounted it: the script
		// mounts it again in its new namespace.
		if os.Geteuid() != 0 {
			t.Skip("unshare -n needs root on the host")
		}
		need(t, "/usr/bin/unshare")
		compareNet(t, nil, "/usr/bin/unshare", "-n", "-m", "/bin/sh", "-c", `mount -t sysfs sysfs /sys || exit 1
ls /sys/class/net
cd /sys/class/net/lo && cat flags operstate mtu ifindex
cat carrier dormant 2>&1
ip link set lo up && cat flags operstate carrier`)
	})
}
