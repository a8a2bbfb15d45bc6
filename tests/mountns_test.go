package tests

import "testing"

// TestPropagationTools runs util-linux's mount --make-* and findmnt's
// PROPAGATION column in a fresh mount namespace, under kite and on the
// host, on a tmpfs tree of the test's own.
func TestPropagationTools(t *testing.T) {
	need(t, "/usr/bin/unshare", "/usr/bin/findmnt", "/bin/mount")
	const d = "/tmp/kite-findmnt-test"
	script := "set -e; mkdir -p " + d + "; unshare -m sh -c '" +
		"mount --make-rprivate /; d=" + d + "; mount -t tmpfs none $d; mkdir $d/a $d/b $d/c $d/u $d/s; " +
		"mount -t tmpfs none $d/a; mkdir $d/a/x; mount --make-shared $d/a; mount --bind $d/a $d/b; " +
		"mount --bind $d/a $d/s; mount --make-slave $d/s; mount -t tmpfs none $d/a/x; " +
		"mount --rbind $d/s $d/c; mount --make-rshared $d/c; mount -t tmpfs none $d/u; mount --make-unbindable $d/u; " +
		"findmnt -o TARGET,PROPAGATION -R $d; mount --make-rslave $d; findmnt -n -o TARGET,PROPAGATION -R $d; " +
		"mount --make-rprivate $d; findmnt -n -o PROPAGATION -R $d | sort | uniq -c; " +
		"mount --bind $d/u $d/c 2>&1 | sed \"s/mount: //\"'; rmdir " + d
	compare(t, nil, "/bin/sh", "-c", script)
}

// TestBwrap runs bubblewrap sandboxes that need pivot_root, propagation
// (bwrap makes / a recursive slave) and recursive read-only binds, without
// PID or network namespaces.
func TestBwrap(t *testing.T) {
	need(t, "/usr/bin/bwrap", "/usr/bin/findmnt")
	cases := map[string]string{
		"ro-bind": "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-ipc --unshare-uts --hostname bw " +
			"sh -c 'hostname; ls /dev; findmnt -n -o TARGET,PROPAGATION /; touch /x 2>&1; findmnt -n -o PROPAGATION /dev/null'",
		"tmpfs-dir-symlink": "bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /srv --dir /srv/d --symlink d /srv/l " +
			"--ro-bind /etc /srv/d sh -c 'ls -l /srv | cut -c1-10,40-; ls /srv/d/hostname; touch /srv/d/x 2>&1; " +
			"findmnt -o TARGET,PROPAGATION -R /srv'",
		"userns": "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-user --uid 1000 --gid 1000 --unshare-ipc --unshare-uts " +
			"sh -c 'id -u; id -g; cat /proc/self/uid_map; umount /proc 2>&1; mount -t tmpfs none /srv 2>&1'",
	}
	for name, script := range cases {
		t.Run(name, func(t *testing.T) {
			compare(t, nil, "/bin/sh", "-c", script)
		})
	}
}
