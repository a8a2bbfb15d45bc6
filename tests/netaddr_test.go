package tests

import "testing"

// TestIPAddrChanges adds and removes an address on lo in a new network
// namespace with ip(8) (RTM_NEWADDR, RTM_DELADDR), on the host and under
// kite; the second add and the second delete fail (EEXIST,
// EADDRNOTAVAIL). Linux's extended-ack error texts are not compared, nor
// the order IPv6 addresses are listed in (kite's is not Linux's yet).
func TestIPAddrChanges(t *testing.T) {
	need(t, "/usr/bin/unshare", "/usr/sbin/ip")
	script := `ip link set lo up; ip addr add 10.1.2.3/24 dev lo; ip addr add 10.1.2.3/24 dev lo 2>/dev/null; echo dup=$?
ip -o -4 addr show dev lo | cut -d" " -f2,7; ip -6 addr add fd00::5/64 dev lo nodad; ip -o -6 addr show dev lo | cut -d" " -f2,7 | sort
ip addr del 10.1.2.3/24 dev lo; ip addr del 10.1.2.3/24 dev lo 2>/dev/null; echo del=$?; ip -o -4 addr show dev lo | cut -d" " -f2,7`
	compare(t, nil, "/usr/bin/unshare", "--net", "/bin/sh", "-c", script)
}

// TestIPNetns names network namespaces with ip-netns(8) in a private
// /run: `ip netns list` asks each one's id (RTM_GETNSID by NETNSA_FD),
// `ip netns set` gives ids (RTM_NEWNSID; a given id again is EEXIST,
// "auto" the lowest free one), `ip netns list-id` dumps them, and a new
// namespace gives none. What is listed after the namespaces are deleted
// is not compared: Linux frees a namespace's id when its deferred
// cleanup runs.
func TestIPNetns(t *testing.T) {
	need(t, "/usr/bin/unshare", "/usr/sbin/ip", "/bin/mount")
	script := `mount -t tmpfs none /run && mkdir -p /run/netns && ip netns add kt1 && ip netns add kt2 && ip netns list | sort; ip netns list-id
ip netns set kt2 7; ip netns set kt1 auto; ip netns list | sort; ip netns list-id
ip netns set kt1 7 2>/dev/null; echo again=$?; ip netns exec kt1 ip netns list-id; ip netns del kt1; ip netns del kt2; echo end`
	compare(t, nil, "/usr/bin/unshare", "-m", "/bin/sh", "-c", script)
}
