package tests

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// ociBundle makes a bundle with a busybox root and the config.json that
// `kite spec` writes, changed by edit.
func ociBundle(t *testing.T, name string, edit func(spec map[string]any)) string {
	t.Helper()
	bb := busybox(t)
	dir := filepath.Join(workDir, "oci", name)
	os.RemoveAll(dir)
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"sh", "echo", "cat", "grep", "mkdir", "id", "hostname", "read", "sleep"} {
		os.Symlink("busybox", filepath.Join(root, "bin", c))
	}
	cmd := exec.Command(kiteBin, "spec", "--bundle", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kite spec: %v\n%s", err, out)
	}
	var spec map[string]any
	b, err = os.ReadFile(filepath.Join(dir, "config.json"))
	if err == nil {
		err = json.Unmarshal(b, &spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	edit(spec)
	if b, err = json.Marshal(spec); err == nil {
		err = os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func setArgs(spec map[string]any, args ...string) {
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	spec["process"].(map[string]any)["args"] = a
}

// kiteOCI runs kite with a test runtime root.
func kiteOCI(t *testing.T, root string, args ...string) result {
	t.Helper()
	return runCmd(t, nil, testEnv, append([]string{kiteBin, "--root", root}, args...)...)
}

// runcStateFields are the fields of runc's state output.
var runcStateFields = []string{"bundle", "created", "id", "ociVersion", "owner", "pid", "rootfs", "status"}

func jsonKeys(t *testing.T, s string) ([]string, map[string]any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, m
}

// TestOCIRun runs a bundle in the foreground with runc's command line:
// the program's output and exit status come through, the config's user,
// hostname, environment, working directory and seccomp profile apply,
// and the state is gone afterwards.
func TestOCIRun(t *testing.T) {
	dir := ociBundle(t, "run", func(spec map[string]any) {
		setArgs(spec, "sh", "-c", `echo "hello $GREETING"; id; hostname; pwd; cat /proc/1/cmdline | tr '\0' ' '; echo; grep Seccomp: /proc/self/status; mkdir /denied || echo mkdir refused; exit 3`)
		proc := spec["process"].(map[string]any)
		proc["env"] = []any{"PATH=/bin", "GREETING=world"}
		proc["cwd"] = "/etc"
		proc["user"] = map[string]any{"uid": 1000, "gid": 100, "additionalGids": []any{5}}
		spec["hostname"] = "box"
		spec["linux"].(map[string]any)["seccomp"] = map[string]any{
			"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls":      []any{map[string]any{"names": []any{"mkdir", "mkdirat"}, "action": "SCMP_ACT_ERRNO"}},
		}
	})
	root := filepath.Join(workDir, "oci", "root-run")
	r := kiteOCI(t, root, "run", "--bundle", dir, "c1")
	want := result{
		stdout: "hello world\nuid=1000 gid=100 groups=5\nbox\n/etc\nsh -c " +
			`echo "hello $GREETING"; id; hostname; pwd; cat /proc/1/cmdline | tr '\0' ' '; echo; grep Seccomp: /proc/self/status; mkdir /denied || echo mkdir refused; exit 3` +
			" \nSeccomp:\t2\nmkdir refused\n",
		stderr: "mkdir: can't create directory '/denied': Operation not permitted\n",
		status: "exit 3",
	}
	if r != want {
		t.Errorf("kite run --bundle:\n%s\nwant:\n%s", r, want)
	}
	if l := kiteOCI(t, root, "list", "--format", "json"); l.stdout != "null\n" || l.status != "exit 0" {
		t.Errorf("after run, list shows:\n%s", l)
	}
	// kite's own run keeps working next to runc's.
	if r := runCmd(t, nil, testEnv, kiteBin, "run", "--", "/bin/sh", "-c", "exit 6"); r.status != "exit 6" {
		t.Errorf("kite run -- PROGRAM: %s", r)
	}
}

// TestOCILifecycle drives create, state, start, list, kill and delete as
// an engine does.
func TestOCILifecycle(t *testing.T) {
	dir := ociBundle(t, "life", func(spec map[string]any) {
		setArgs(spec, "sh", "-c", "echo started; read x; echo got $x; exit 5")
	})
	root := filepath.Join(workDir, "oci", "root-life")
	pidFile := filepath.Join(workDir, "oci", "life.pid")
	// The container's stdio are create's: pipes the test holds.
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	defer inW.Close()
	defer outR.Close()
	cmd := exec.Command(kiteBin, "--root", root, "create", "--bundle", dir, "--pid-file", pidFile, "c2")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	err := cmd.Run()
	inR.Close()
	outW.Close()
	if err != nil {
		t.Fatalf("kite create: %v", err)
	}
	state := func(wantStatus string) map[string]any {
		t.Helper()
		r := kiteOCI(t, root, "state", "c2")
		keys, m := jsonKeys(t, r.stdout)
		if !reflect.DeepEqual(keys, runcStateFields) {
			t.Errorf("state fields %v, runc's are %v", keys, runcStateFields)
		}
		if m["status"] != wantStatus || m["id"] != "c2" || m["bundle"] != dir {
			t.Errorf("state %v, want status %s", m, wantStatus)
		}
		return m
	}
	m := state("created")
	pid, _ := os.ReadFile(pidFile)
	if got := m["pid"].(float64); string(pid) == "" || string(pid) != jsonNumber(got) {
		t.Errorf("pid file %q, state pid %v", pid, got)
	}
	if r := kiteOCI(t, root, "start", "c2"); r.status != "exit 0" {
		t.Fatalf("kite start: %s", r)
	}
	out := bufio.NewReader(outR)
	if line, _ := out.ReadString('\n'); line != "started\n" {
		t.Fatalf("the program printed %q", line)
	}
	state("running")
	// exec: another process in the running container, with the
	// caller's stdio; its status comes back.
	if r := kiteOCI(t, root, "exec", "--env", "X=42", "--cwd", "/etc", "c2", "sh", "-c", "echo in-exec $X $(pwd); echo err >&2; exit 9"); r != (result{stdout: "in-exec 42 /etc\n", stderr: "err\n", status: "exit 9"}) {
		t.Errorf("kite exec: %s", r)
	}
	if r := kiteOCI(t, root, "exec", "c2", "/no/such"); r.status != "exit 1" || !strings.Contains(r.stderr, "no such file or directory") {
		t.Errorf("kite exec of a missing program: %s", r)
	}
	if r := kiteOCI(t, root, "start", "c2"); r.status != "exit 1" || !strings.Contains(r.stderr, "cannot start an already running container") {
		t.Errorf("second start: %s", r)
	}
	l := kiteOCI(t, root, "list", "--format", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(l.stdout), &list); err != nil || len(list) != 1 || list[0]["id"] != "c2" {
		t.Errorf("list: %s", l)
	}
	if r := kiteOCI(t, root, "delete", "c2"); r.status != "exit 1" || !strings.Contains(r.stderr, "that is not stopped: running") {
		t.Errorf("delete of a running container: %s", r)
	}
	inW.WriteString("go\n")
	rest, _ := out.ReadString(0) // until every writer (the container) is gone
	if rest != "got go\n" {
		t.Errorf("the program then printed %q", rest)
	}
	state("stopped")
	if r := kiteOCI(t, root, "delete", "c2"); r.status != "exit 0" {
		t.Errorf("delete: %s", r)
	}
	if r := kiteOCI(t, root, "state", "c2"); r.status != "exit 1" {
		t.Errorf("state after delete: %s", r)
	}
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// TestOCIKill checks kill and delete --force of a running detached
// container (run --detach).
func TestOCIKill(t *testing.T) {
	dir := ociBundle(t, "kill", func(spec map[string]any) {
		setArgs(spec, "sleep", "1000")
	})
	root := filepath.Join(workDir, "oci", "root-kill")
	devnull, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	defer devnull.Close()
	for _, id := range []string{"k1", "k2"} {
		cmd := exec.Command(kiteBin, "--root", root, "run", "--detach", "--bundle", dir, id)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
		if err := cmd.Run(); err != nil {
			t.Fatalf("run --detach %s: %v", id, err)
		}
	}
	l := kiteOCI(t, root, "list", "-q")
	if l.stdout != "k1\nk2\n" {
		t.Errorf("list -q: %s", l)
	}
	if r := kiteOCI(t, root, "kill", "k1", "KILL"); r.status != "exit 0" {
		t.Errorf("kill: %s", r)
	}
	if r := kiteOCI(t, root, "delete", "--force", "k2"); r.status != "exit 0" {
		t.Errorf("delete --force: %s", r)
	}
	if r := kiteOCI(t, root, "delete", "--force", "k1"); r.status != "exit 0" {
		t.Errorf("delete --force of a killed container: %s", r)
	}
	if l := kiteOCI(t, root, "list", "-q"); l.stdout != "" {
		t.Errorf("list after delete: %s", l)
	}
}

// TestOCIVerbs checks spec, features and the verbs kite refuses.
func TestOCIVerbs(t *testing.T) {
	dir := filepath.Join(workDir, "oci", "spec")
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	root := filepath.Join(workDir, "oci", "root-verbs")
	if r := kiteOCI(t, root, "spec", "--bundle", dir); r.status != "exit 0" {
		t.Fatalf("spec: %s", r)
	}
	if r := kiteOCI(t, root, "spec", "--bundle", dir); r.status != "exit 1" || !strings.Contains(r.stderr, "config.json exists") {
		t.Errorf("spec over an existing config.json: %s", r)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	keys, _ := jsonKeys(t, string(b))
	for _, k := range []string{"ociVersion", "process", "root", "hostname", "mounts", "linux"} {
		if sort.SearchStrings(keys, k) == len(keys) || keys[sort.SearchStrings(keys, k)] != k {
			t.Errorf("spec has no %s: %v", k, keys)
		}
	}
	f := kiteOCI(t, root, "features")
	if _, m := jsonKeys(t, f.stdout); m["ociVersionMax"] == nil {
		t.Errorf("features: %s", f)
	}
	for _, v := range []string{"checkpoint", "restore"} {
		if r := kiteOCI(t, root, v, "x"); r.status != "exit 1" || !strings.Contains(r.stderr, "not supported") {
			t.Errorf("%s: %s", v, r)
		}
	}
	if r := kiteOCI(t, root, "state", "nope"); r.status != "exit 1" || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("state of a missing container: %s", r)
	}
}

// TestOCIMemoryLimit runs a program allocating 200 MB in a container
// whose linux.resources.memory.limit is 64 MB: kite's OOM killer kills
// it (SIGKILL, as a cgroup's would) and run reports 137.
func TestOCIMemoryLimit(t *testing.T) {
	dir := ociBundle(t, "mem", func(spec map[string]any) {
		setArgs(spec, "/bin/alloc")
		spec["linux"].(map[string]any)["resources"] = map[string]any{"memory": map[string]any{"limit": 64 << 20}}
	})
	src, _ := filepath.Abs("ociprogs/alloc200.c")
	if out, err := exec.Command("gcc", "-static", "-O1", "-o", filepath.Join(dir, "rootfs", "bin", "alloc"), src).CombinedOutput(); err != nil {
		t.Skipf("gcc -static: %v\n%s", err, out)
	}
	r := kiteOCI(t, filepath.Join(workDir, "oci", "root-mem"), "run", "--bundle", dir, "m1")
	if r.status != "exit 137" || r.stdout != "allocating\n" {
		t.Errorf("a 200 MB program in a 64 MB container:\n%s", r)
	}
}

// TestOCINetSysctl applies a config's net.* sysctls to the container's
// network (kite's stack, without a host namespace path): they show in
// /proc/sys/net; one kite's stack does not have stops the container.
func TestOCINetSysctl(t *testing.T) {
	dir := ociBundle(t, "sysctl", func(spec map[string]any) {
		setArgs(spec, "cat", "/proc/sys/net/core/somaxconn", "/proc/sys/net/ipv4/ip_local_port_range")
		spec["linux"].(map[string]any)["sysctl"] = map[string]any{"net.core.somaxconn": "77", "net.ipv4.ip_local_port_range": "40000 41000"}
	})
	root := filepath.Join(workDir, "oci", "root-sysctl")
	want := result{stdout: "77\n40000\t41000\n", status: "exit 0"}
	if r := kiteOCI(t, root, "run", "--bundle", dir, "s1"); r != want {
		t.Errorf("kite run --bundle:\n%s\nwant:\n%s", r, want)
	}
	dir = ociBundle(t, "sysctl-bad", func(spec map[string]any) {
		setArgs(spec, "true")
		spec["linux"].(map[string]any)["sysctl"] = map[string]any{"net.ipv4.no_such_setting": "1"}
	})
	if r := kiteOCI(t, root, "run", "--bundle", dir, "s2"); r.status == "exit 0" || !strings.Contains(r.stderr, "net.ipv4.no_such_setting") {
		t.Errorf("a sysctl kite lacks: %s", r)
	}
}

// TestOCIWritableRoot runs a bundle whose root is writable: the writes
// reach the bundle's rootfs directory, as with runc, unless the
// annotation dev.kite.root-overlay=memory keeps them in memory; an
// unknown value of it is refused.
func TestOCIWritableRoot(t *testing.T) {
	root := filepath.Join(workDir, "oci", "root-rwroot")
	for _, overlay := range []string{"", "memory", "disk"} {
		dir := ociBundle(t, "rwroot", func(spec map[string]any) {
			setArgs(spec, "sh", "-c", "echo x > /f; mkdir /d; echo y > /tmp/t; cat /f /tmp/t")
			spec["root"].(map[string]any)["readonly"] = false
			if overlay != "" {
				spec["annotations"] = map[string]any{"dev.kite.root-overlay": overlay}
			}
		})
		r := kiteOCI(t, root, "run", "--bundle", dir, "w1")
		_, errF := os.Stat(filepath.Join(dir, "rootfs", "f"))
		_, errT := os.Stat(filepath.Join(dir, "rootfs", "tmp", "t"))
		switch overlay {
		case "":
			if r != (result{stdout: "x\ny\n", status: "exit 0"}) || errF != nil || errT != nil {
				t.Errorf("a writable root: %s\n/f on the host: %v, /tmp/t: %v", r, errF, errT)
			}
		case "memory":
			if r != (result{stdout: "x\ny\n", status: "exit 0"}) || errF == nil {
				t.Errorf("a root in memory: %s\n/f reached the host", r)
			}
		default:
			if r.status == "exit 0" || !strings.Contains(r.stderr, "dev.kite.root-overlay") {
				t.Errorf("an unknown root overlay: %s", r)
			}
		}
	}
}

// TestOCISysctl applies a config's IPC sysctls to the container's IPC
// namespace (its /proc/sys/kernel files show them) and kernel.domainname
// to its UTS namespace, and refuses what runc refuses: IPC sysctls
// without an IPC namespace, kernel.hostname (the hostname field's),
// sysctls of no namespace; and fs.mqueue.*, which kite cannot set.
func TestOCISysctl(t *testing.T) {
	root := filepath.Join(workDir, "oci", "root-ksysctl")
	dir := ociBundle(t, "ksysctl", func(spec map[string]any) {
		setArgs(spec, "sh", "-c", "cat /proc/sys/kernel/msgmax /proc/sys/kernel/shmmax /proc/sys/kernel/sem /proc/sys/kernel/shm_rmid_forced; /bin/domainname")
		spec["linux"].(map[string]any)["sysctl"] = map[string]any{
			"kernel.msgmax": "4096", "kernel.shmmax": "1048576", "kernel.sem": "100 200 30 40",
			"kernel.shm_rmid_forced": "1", "kernel.domainname": "example.org",
		}
	})
	src, _ := filepath.Abs("ociprogs/domainname.c")
	if out, err := exec.Command("gcc", "-static", "-O1", "-o", filepath.Join(dir, "rootfs", "bin", "domainname"), src).CombinedOutput(); err != nil {
		t.Skipf("gcc -static: %v\n%s", err, out)
	}
	want := result{stdout: "4096\n1048576\n100\t200\t30\t40\n1\ndomainname example.org\n", status: "exit 0"}
	if r := kiteOCI(t, root, "run", "--bundle", dir, "k1"); r != want {
		t.Errorf("kite run --bundle:\n%s\nwant:\n%s", r, want)
	}
	refused := []struct {
		sysctl, value, why string
		noIPC              bool
	}{
		{"kernel.msgmax", "4096", "not allowed in the host's IPC namespace", true},
		{"kernel.msgmni", "-1", "kernel.msgmni=-1", false},
		{"kernel.hostname", "box", "conflicts with the OCI \"hostname\" field", false},
		{"vm.swappiness", "10", "not in a separate kernel namespace", false},
		{"fs.mqueue.msg_max", "20", "fs.mqueue.msg_max", false},
	}
	for i, c := range refused {
		dir := ociBundle(t, "ksysctl-bad", func(spec map[string]any) {
			setArgs(spec, "true")
			l := spec["linux"].(map[string]any)
			l["sysctl"] = map[string]any{c.sysctl: c.value}
			if c.noIPC {
				var ns []any
				for _, n := range l["namespaces"].([]any) {
					if n.(map[string]any)["type"] != "ipc" {
						ns = append(ns, n)
					}
				}
				l["namespaces"] = ns
			}
		})
		r := kiteOCI(t, root, "run", "--bundle", dir, "k"+strconv.Itoa(i+2))
		if r.status == "exit 0" || !strings.Contains(r.stderr, c.why) {
			t.Errorf("sysctl %s=%s: %s\nwant an error saying %q", c.sysctl, c.value, r, c.why)
		}
	}
}

// TestOCITmpfsMount mounts a bundle's tmpfs mounts with their own
// options, as runc's mount(2) does: size= limits the file system (its
// statfs and its writes), mode= sets its root's mode, and without size=
// the limit is the default (half the memory), not none.
func TestOCITmpfsMount(t *testing.T) {
	dir := ociBundle(t, "tmpfs", func(spec map[string]any) {
		for _, d := range []string{"t1", "t2", "t3", "t4"} {
			if err := os.MkdirAll(filepath.Join(workDir, "oci", "tmpfs", "rootfs", d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		spec["mounts"] = append(spec["mounts"].([]any),
			map[string]any{"destination": "/t1", "type": "tmpfs", "source": "tmpfs", "options": []any{"nosuid", "nodev", "mode=700", "size=1m"}},
			map[string]any{"destination": "/t2", "type": "tmpfs", "source": "tmpfs", "options": []any{"nosuid"}},
			map[string]any{"destination": "/t3", "type": "tmpfs", "source": "tmpfs", "options": []any{"size=50%"}},
			map[string]any{"destination": "/t4", "type": "tmpfs", "source": "tmpfs", "options": []any{"size=1t"}})
		setArgs(spec, "sh", "-c", `busybox df -k /t1 /t2 /t3 /t4 | busybox awk 'NR>1{print ($2 > 0) ? "sized " $2 : "unsized"}'; busybox stat -c %a /t1 /t2; busybox head -c 2000000 /dev/zero > /t1/f || echo full; busybox wc -c < /t1/f`)
	})
	r := kiteOCI(t, filepath.Join(workDir, "oci", "root-tmpfs"), "run", "--bundle", dir, "t1")
	lines := strings.Split(r.stdout, "\n")
	// size=50% is the default size (half the memory); size=1t 2^30 KiB.
	if r.status != "exit 0" || len(lines) < 9 || lines[0] != "sized 1024" || !strings.HasPrefix(lines[1], "sized ") ||
		lines[2] != lines[1] || lines[3] != "sized 1073741824" ||
		lines[4] != "700" || lines[5] != "1777" || lines[6] != "full" || lines[7] != "1048576" {
		t.Errorf("tmpfs mounts with size=1m,mode=700, without options, with size=50%% and size=1t:\n%s", r)
	}
	dir = ociBundle(t, "tmpfs-bad", func(spec map[string]any) {
		spec["mounts"] = append(spec["mounts"].([]any),
			map[string]any{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": []any{"size=lots"}})
		setArgs(spec, "true")
	})
	if r := kiteOCI(t, filepath.Join(workDir, "oci", "root-tmpfs"), "run", "--bundle", dir, "t2"); r.status == "exit 0" || !strings.Contains(r.stderr, "size=lots") {
		t.Errorf("a tmpfs mount with a bad size: %s", r)
	}
}
