package tests

import "testing"

// TestIPAddrChanges adds and removes an address on lo in a new network
// namespace with ip(8) (RTM_NEWADDR, RTM_DELADDR), on the host and under
// kite; the second add and the second delete fail (EEXIST,
// EADDRNOTAVAIL). Linux's extended-ack error texts are not compared.
// Addresses are listed in Linux's order: IPv4 by scope (host before
// global) as added, secondaries last; IPv6 global, link-local, host,
// the newest first within a scope.
func TestIPAddrChanges(t *testing.T) {
	need(t, "/usr/bin/unshare", "/usr/sbin/ip")
	script := `ip link set lo up; ip addr add 10.1.2.3/24 dev lo; ip addr add 10.1.2.3/24 dev lo 2>/dev/null; echo dup=$?
ip -o -4 addr show dev lo | cut -d" " -f2,7; ip -6 addr add fd00::5/64 dev lo nodad; ip -o -6 addr show dev lo | cut -d" " -f2,7
ip addr del 10.1.2.3/24 dev lo; ip addr del 10.1.2.3/24 dev lo 2>/dev/null; echo del=$?; ip -o -4 addr show dev lo | cut -d" " -f2,7`
	compare(t, nil, "/usr/bin/unshare", "--net", "/bin/sh", "-c", script)
	order := `ip link set lo up; ip -6 addr add fe80::7/64 dev lo nodad; ip -6 addr add fd00::5/64 dev lo nodad; ip -6 addr add fe80::8/64 dev lo nodad
ip -6 addr add 2001:db8::1/64 dev lo nodad; ip addr add 127.0.0.2/8 dev lo; ip addr add 10.0.0.1/8 dev lo; ip addr add 127.5.0.1/16 dev lo
ip -o addr show dev lo | cut -d" " -f2-9; ip addr del fd00::5/64 dev lo; ip -6 addr add fd00::5/64 dev lo nodad; ip -o -6 addr show dev lo | cut -d" " -f2-9`
	compare(t, nil, "/usr/bin/unshare", "--net", "/bin/sh", "-c", order)
}

// TestIPNetns names network namespaces with ip-netns(8) in a private
// /run: `ip netns list` asks each one's id (RTM_GETNSID by NETNSA_FD),
// `ip netns set` gives ids (RTM_NEWNSID; a given id again is EEXIST,
// "auto" the lowest free one), `ip netns list-id` dumps them, and a new
// namespace gives none. What is listed after the namespaces are deleted
// is not compared: Linux frees a namespace's id when its deferred
// cleanup runs. It runs in a new network namespace too: ids are given
// in the namespace ip runs in, and the host's own may hold some already
// (an engine's container namespace left behind).
func TestIPNetns(t *testing.T) {
	need(t, "/usr/bin/unshare", "/usr/sbin/ip", "/bin/mount")
	script := `mount -t tmpfs none /run && mkdir -p /run/netns && ip netns add kt1 && ip netns add kt2 && ip netns list | sort; ip netns list-id
ip netns set kt2 7; ip netns set kt1 auto; ip netns list | sort; ip netns list-id
ip netns set kt1 7 2>/dev/null; echo again=$?; ip netns exec kt1 ip netns list-id; ip netns del kt1; ip netns del kt2; echo end`
	compare(t, nil, "/usr/bin/unshare", "-m", "-n", "/bin/sh", "-c", script)
}
