package tests

import "testing"

// TestKeyutils runs keyutils' keyctl on the host and under kite: the
// session and user keyrings keyctl show prints, keys and keyrings added,
// read, described, searched, requested, unlinked and revoked inside a
// session of their own. Serial numbers are random on both, so the script
// masks them.
func TestKeyutils(t *testing.T) {
	need(t, "/usr/bin/keyctl", "/bin/sh")
	compare(t, nil, "/bin/sh", "-c", `
mask() { sed -E 's/ *[0-9]{4,}/ N/g'; }
keyctl show 2>&1 | mask
keyctl session - /bin/sh -c '
mask() { sed -E "s/ *[0-9]{4,}/ N/g"; }
id=$(keyctl add user mykey secretdata @s)
keyctl print $id
keyctl describe $id | mask
ring=$(keyctl newring sub @s)
echo hello | keyctl padd user k2 $ring > /dev/null
keyctl show 2>&1 | mask
keyctl search @s user k2 > /dev/null && echo found
keyctl request user mykey > /dev/null && echo requested
keyctl request user nokey 2>&1
keyctl unlink $id @s && echo unlinked
keyctl revoke $ring
keyctl show 2>&1 | mask
' 2>&1 | mask
keyctl show @u | mask`)
}
