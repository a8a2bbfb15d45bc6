package tests

import "testing"

// TestACLTools runs the acl package's setfacl and getfacl under kite and
// on the host: named entries and the mask, chmod keeping the mask,
// default ACLs inherited by new files and directories, removal, and the
// access decisions they make for other users (setpriv).
func TestACLTools(t *testing.T) {
	need(t, "/usr/bin/getfacl", "/usr/bin/setfacl", "/usr/bin/setpriv")
	script := `d=/tmp/kite-acl-tools; rm -rf $d; mkdir $d; cd $d; umask 022
touch f; setfacl -m u:1000:rw,g:1001:r f; getfacl f; ls -l f | cut -c1-11
chmod 640 f; getfacl f
mkdir dd; setfacl -d -m u:1000:rwx,o::- dd; getfacl dd
touch dd/new; mkdir dd/sub; getfacl dd/new dd/sub; ls -ld dd/new dd/sub | cut -c1-11
setfacl -b f; getfacl f
setfacl -m u:1000:r f; setfacl -x u:1000 f; getfacl f
setfacl -m m::r f; getfacl f
setfacl -d -m u:1000:r f 2>&1
echo secret > s; chmod 600 s; setfacl -m u:1000:r s
setpriv --reuid 1000 --regid 1000 --clear-groups cat s
setpriv --reuid 1001 --regid 1001 --clear-groups cat s 2>&1
setfacl -m m::- s; setpriv --reuid 1000 --regid 1000 --clear-groups cat s 2>&1
setpriv --reuid 1000 --regid 1000 --clear-groups setfacl -m u:1000:rw s 2>&1
cd /; rm -rf $d`
	compare(t, nil, "/bin/sh", "-c", script)
}

// TestACLUserNamespace reads and writes ACLs naming ids that a user
// namespace does not map (shown as -1, refused back as duplicates).
func TestACLUserNamespace(t *testing.T) {
	need(t, "/usr/bin/getfacl", "/usr/bin/setfacl", "/usr/bin/unshare")
	script := `d=/tmp/kite-acl-userns; rm -rf $d; mkdir $d; cd $d; touch f; setfacl -m u:4242:r,g:4343:r f
unshare -U --map-user=0 --map-group=0 sh -c 'getfacl -n f; setfacl -m u:5:r f 2>&1; setfacl -m u:0:rw f 2>&1; getfacl -n f | grep user'
cd /; rm -rf $d`
	compare(t, nil, "/bin/sh", "-c", script)
}

// TestACLOverlay runs setfacl and getfacl on an overlay root (kite run
// --overlay: the files are copied up to its memory layer) against the
// host's file system.
func TestACLOverlay(t *testing.T) {
	need(t, "/usr/bin/getfacl", "/usr/bin/setfacl")
	script := `d=/var/tmp/kite-acl-overlay; rm -rf $d; mkdir $d; cd $d; umask 022
mkdir dd; setfacl -m d:g:1001:rx,u:1000:rwx dd; touch dd/f; mkdir dd/s
getfacl dd dd/f dd/s; chmod 700 dd/s; getfacl dd/s; setfacl -k dd; getfacl dd
cd /; rm -rf $d`
	host := runCmd(t, nil, testEnv, "/bin/sh", "-c", script)
	kite := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--overlay", "--", "/bin/sh", "-c", script))
	if host != kite {
		t.Errorf("differs between host and kite --overlay\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}
