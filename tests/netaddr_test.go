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
