package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockedMounts checks that the mounts kite sets up (/tmp, /proc, /dev,
// /sys) cannot be unmounted, moved or bound without their submounts by
// root inside kite, so that nothing of the host below them shows: a file
// in the host's /tmp must stay invisible.
func TestLockedMounts(t *testing.T) {
	bb := busybox(t)
	marker, err := os.CreateTemp("/tmp", "kite-host-marker-")
	if err != nil {
		t.Fatal(err)
	}
	marker.Close()
	defer os.Remove(marker.Name())
	name := filepath.Base(marker.Name())
	steps := []string{
		"umount /tmp", "umount -l /tmp", "umount /proc", "umount -l /dev",
		"mount --move /tmp /mnt", "mount --bind / /mnt", "mount --rbind / /mnt",
	}
	var script strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&script, "%s 2>/dev/null; echo \"%s: $?\"; ls /tmp/%s /mnt/tmp/%s 2>/dev/null; ", s, s, name, name)
	}
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--", bb, "sh", "-c", script.String()+"true")
	want := "umount /tmp: 1\numount -l /tmp: 1\numount /proc: 1\numount -l /dev: 1\n" +
		"mount --move /tmp /mnt: 255\nmount --bind / /mnt: 255\nmount --rbind / /mnt: 0\n"
	if r.stdout != want || r.status != "exit 0" {
		t.Errorf("kite's mounts are not locked:\n%s\nwant stdout:\n%s", r, want)
	}
}

// TestNamespaceTools runs util-linux's unshare, nsenter, setpriv, ipcs
// and ipcmk under kite and on the host.
func TestNamespaceTools(t *testing.T) {
	need(t, "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/setpriv", "/usr/bin/ipcs", "/usr/bin/ipcmk", "/usr/bin/ipcrm")
	cases := map[string]string{
		"unshare-user-map-root": "unshare --user --map-root-user id",
		"unshare-uts":           "unshare --uts sh -c 'hostname kite-uts; hostname; uname -n'",
		"unshare-Urm":           "unshare -Urm sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'",
		"unshare-ipc":           "id=$(ipcmk -M 4096 | sed 's/.*: //'); unshare --ipc ipcs -m | grep -c 0x; ipcrm -m $id; echo removed",
		"nsenter-uts": "unshare --uts sh -c 'hostname inner; sleep 5 & p=$!; " +
			"nsenter --uts --target $p hostname; kill $p'",
		"unshare-pid-ps": "unshare --fork --pid --mount-proc ps -o pid,comm",
		"unshare-pid-proc": "unshare -p -f --mount-proc sh -c 'echo $$; grep -E \"^(NS|Pid|PPid|Tgid)\" /proc/self/status; " +
			"ls /proc | grep -E \"^[0-9]+$\"; readlink /proc/self'",
		// nsenter joins the PID namespace of an unshare'd sleep found
		// through a FIFO handshake; its init ignores SIGTERM from inside
		// and outside and dies only of SIGKILL.
		"nsenter-pid": "f=/tmp/kite-nsenter-fifo.$$; mkfifo $f; " +
			"unshare --pid --fork sh -c \"echo > $f; exec sleep 20\" & u=$!; read x < $f; rm $f; s=$(pgrep -P $u); " +
			"nsenter --pid --target $s sh -c 'echo \"inside: $$\"; kill -0 1 && echo \"init visible\"; kill -TERM 1; " +
			"kill -0 1 && echo \"init ignores SIGTERM\"'; kill -TERM $s; kill -0 $s && echo \"ignored from outside\"; " +
			"kill -KILL $s; wait $u; echo \"unshare: $?\"",
		"unshare-time-offsets": "unshare --time --monotonic 1000 --boottime 2000 cat /proc/self/timens_offsets",
		// Uptimes differ between kite and the host: compare the shift,
		// bracketed by uptimes read before and after (unshare and cut
		// take up to a second under kite on a loaded machine, so the
		// rounded difference from the one before was 1001).
		"unshare-time-uptime": "a=$(cut -d' ' -f1 /proc/uptime); b=$(unshare --time --boottime 1000 cut -d' ' -f1 /proc/uptime); " +
			"c=$(cut -d' ' -f1 /proc/uptime); " +
			"awk \"BEGIN { lo = $b - $c; hi = $b - $a; if (lo < 1000.02 && hi > 999.98) print \\\"shifted by 1000 s\\\"; " +
			"else printf \\\"shifted by %.2f to %.2f s\\\\n\\\", lo, hi }\"",
		"unshare-cgroup": "unshare --cgroup grep '^0::' /proc/self/cgroup",
		// unshare --net=FILE and --uts=FILE bind the new namespace's
		// file onto FILE, which keeps it for nsenter after unshare's
		// command is gone.
		"unshare-bind-ns-file": "f=/tmp/kite-netf.$$; touch $f; unshare --net=$f true; echo \"unshare: $?\"; " +
			"grep kite-netf /proc/self/mountinfo | cut -d' ' -f4,5,7- | sed 's/[0-9][0-9]*/N/g'; grep kite-netf /proc/mounts | sed 's/[0-9][0-9]*/N/g'; " +
			"nsenter --net=$f ip -br link; umount $f; echo \"umount: $?\"; rm $f; " +
			"g=/tmp/kite-utsf.$$; touch $g; unshare --uts=$g hostname bound; nsenter --uts=$g hostname; umount $g; rm $g",
		"setpriv":          "setpriv --reuid 1000 --regid 1000 --clear-groups id",
		"status-in-userns": "setpriv --reuid 1000 --regid 1000 --clear-groups unshare -Ur sh -c 'grep -E \"^(Uid|Gid|Groups)\" /proc/self/status; id'",
		"setpriv-caps":     "setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps +net_bind_service --ambient-caps +net_bind_service grep Cap /proc/self/status",
		"ipcs-limits":      "ipcs -l",
		"ipcmk": "id=$(ipcmk -M 8192 -p 0640 | sed 's/.*: //'); ipcs -m -i $id | grep -E '^(uid|mode)'; " +
			"ipcs -m -i $id | grep -o 'bytes=[0-9]*'; ipcrm -m $id; ipcs -m -i $id 2>&1 | sed 's/id [0-9]*/id N/'; " +
			"id=$(ipcmk -S 4 | sed 's/.*: //'); ipcs -s -i $id | grep -E '^(uid|mode|nsems)'; ipcrm -s $id; " +
			"id=$(ipcmk -Q | sed 's/.*: //'); ipcs -q -i $id | grep -E '^(uid|mode)'; ipcrm -q $id",
	}
	for name, script := range cases {
		t.Run(name, func(t *testing.T) {
			compare(t, nil, "/bin/sh", "-c", script)
		})
	}
	t.Run("capsh", func(t *testing.T) {
		need(t, "/usr/sbin/capsh")
		compare(t, nil, "/bin/sh", "-c", "capsh --print; capsh --drop=cap_net_raw,cap_sys_admin --caps=cap_chown+eip --print; "+
			"capsh --keep=1 --user=nobody --print; capsh --secbits=0x10 --print | grep -i secure")
	})
}

// TestStressNGSysV runs stress-ng's System V IPC stressors under kite for
// a bounded number of operations: each must finish and report success.
func TestStressNGSysV(t *testing.T) {
	if _, err := exec.LookPath("stress-ng"); err != nil {
		t.Skip("stress-ng is not installed (apt-get install stress-ng)")
	}
	for name, args := range map[string][]string{
		"sem-sysv": {"--sem-sysv", "1", "--sem-sysv-ops", "2000"},
		"msg":      {"--msg", "1", "--msg-ops", "5000"},
		"shm-sysv": {"--shm-sysv", "1", "--shm-sysv-ops", "10"},
		// The acceptance line of the IPC work: the SysV and POSIX
		// stressors together for ten seconds.
		"all-ipc": {"--sem", "1", "--sem-sysv", "1", "--msg", "1", "--mq", "1", "--shm", "1", "--shm-sysv", "1"},
	} {
		t.Run(name, func(t *testing.T) {
			argv := append([]string{kiteBin, "run", "--", "stress-ng"}, args...)
			argv = append(argv, "-t", "10s", "--metrics-brief", "--temp-path", "/tmp")
			r := runCmd(t, nil, testEnv, argv...)
			if r.status != "exit 0" || !strings.Contains(r.stdout+r.stderr, "successful run completed") {
				t.Errorf("stress-ng %s under kite:\n%s", name, r)
			}
		})
	}
}

// TestBwrapPIDNamespace runs bubblewrap sandboxes with PID, user, IPC,
// UTS and cgroup namespaces, and with --unshare-all (a network namespace
// too, whose loopback bwrap sets up through netlink), and compares what
// the sandboxed command sees with the host.
func TestBwrapPIDNamespace(t *testing.T) {
	need(t, "/usr/bin/bwrap", "/usr/bin/ps")
	const bw = "bwrap --ro-bind / / --unshare-user --unshare-ipc --unshare-pid --unshare-uts --unshare-cgroup " +
		"--hostname bw --dev /dev --proc /proc "
	cases := map[string]string{
		"ps": bw + "ps -o pid,ppid,comm",
		"ids": bw + "sh -c 'echo $$; id -u; hostname; ls /proc | grep -E \"^[0-9]+$\"; grep ^0:: /proc/self/cgroup; " +
			"readlink /proc/self; grep -E \"^(NSpid|PPid|NSsid)\" /proc/self/status; kill -0 1 && echo init visible'",
		"unshare-all": "bwrap --ro-bind / / --unshare-all --hostname bw --dev /dev --proc /proc " +
			"sh -c 'echo $$; ps -o pid,comm; ip -br addr; hostname'",
		"as-pid-1":        "bwrap --ro-bind / / --unshare-pid --dev /dev --proc /proc --as-pid-1 sh -c 'echo $$; ps -o pid,comm'",
		"die-with-parent": bw + "--die-with-parent sh -c 'sleep 10 & echo started; kill -9 $!; wait; echo $?'",
	}
	for name, script := range cases {
		t.Run(name, func(t *testing.T) {
			compare(t, nil, "/bin/sh", "-c", script)
		})
	}
}
