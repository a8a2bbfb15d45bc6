package tests

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// engineImage is the busybox image the engine tests build locally (there
// is no registry to pull from).
const engineImage = "localhost/kite-test-busybox:latest"

// runcPath finds runc, the reference the engines' results are compared
// with.
func runcPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/runc", "/usr/bin/runc"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("runc is not installed (apt-get install runc)")
	return ""
}

// podmanImage imports a busybox root as engineImage.
func podmanImage(t *testing.T) {
	t.Helper()
	bb := busybox(t)
	root := filepath.Join(workDir, "engine-rootfs")
	os.RemoveAll(root)
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	b, err := os.ReadFile(bb)
	if err == nil {
		err = os.WriteFile(filepath.Join(root, "bin", "busybox"), b, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"sh", "echo", "cat", "grep", "sleep", "true"} {
		os.Symlink("busybox", filepath.Join(root, "bin", c))
	}
	tarball := filepath.Join(workDir, "engine-rootfs.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if out, err := exec.Command("podman", "import", "--change", "ENV PATH=/bin", tarball, engineImage).CombinedOutput(); err != nil {
		t.Fatalf("podman import: %v\n%s", err, out)
	}
}

// podmanArgs are the flags every podman run gets (the machine's hybrid
// cgroups need the ulimits).
var podmanArgs = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}

// podContainersConf writes a containers.conf for podman's
// CONTAINERS_CONF (which replaces the system's files): the system's
// settings with podmanArgs' ulimits as the default ones, which a pod's
// infra container gets. It returns "" when the system's file sets
// default ulimits itself.
func podContainersConf(t *testing.T) string {
	const ulimits = `default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]`
	conf := "[containers]\n" + ulimits + "\n"
	for _, p := range []string{"/etc/containers/containers.conf", "/usr/share/containers/containers.conf"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		sys := string(b)
		if strings.Contains(sys, "\ndefault_ulimits") {
			return ""
		}
		if strings.HasPrefix(sys, "[containers]\n") || strings.Contains(sys, "\n[containers]\n") {
			conf = strings.Replace(sys, "[containers]\n", conf, 1)
		} else {
			conf += sys
		}
		break
	}
	path := filepath.Join(t.TempDir(), "containers.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPodman runs containers with podman, once with runc and once with
// kite as the runtime, and compares them.
func TestPodman(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed (apt-get install podman)")
	}
	runc := runcPath(t)
	podmanImage(t)
	script := `echo hello; cat /proc/1/cmdline; echo; grep Seccomp /proc/self/status; echo err >&2; exit 3`
	with := func(runtime string) result {
		args := append([]string{"podman", "--runtime", runtime, "run", "--rm"}, podmanArgs...)
		return runCmd(t, nil, os.Environ(), append(args, engineImage, "/bin/sh", "-c", script)...)
	}
	ref, got := with(runc), with(kiteBin)
	if ref != got {
		t.Errorf("podman run --rm differs\n--- runc:\n%s\n--- kite:\n%s", ref, got)
	}
	if !strings.Contains(got.stdout, "Seccomp:\t2") {
		t.Errorf("podman's default seccomp profile is not active under kite:\n%s", got)
	}

	t.Run("dynamic-image", func(t *testing.T) {
		// An image whose programs are the host's dynamically linked
		// bash, ls and cat with their libraries and loader.
		img := dynamicImage(t)
		script := `echo "$BASH_VERSION"; ls -l /bin | tr -s ' ' | cut -d' ' -f1,9-; cat /proc/1/cmdline | tr '\0' ' '; echo; cat /nope; exit 4`
		var got [2]result
		for k, rt := range []string{runc, kiteBin} {
			args := append([]string{"podman", "--runtime", rt, "run", "--rm"}, podmanArgs...)
			got[k] = runCmd(t, nil, os.Environ(), append(args, img, "/bin/bash", "-c", script)...)
		}
		if got[0] != got[1] || got[0].status != "exit 4" {
			t.Errorf("a dynamically linked image differs\n--- runc:\n%s\n--- kite:\n%s", got[0], got[1])
		}
	})

	t.Run("volumes", func(t *testing.T) {
		// A read-write and a read-only volume: the container's writes
		// reach the host directory of the first, and the second refuses
		// them, with runc and with kite alike.
		script := `set -e; mkdir /data/d; echo made > /data/d/f; ln -s d/f /data/l; mv /data/d/f /data/g
cat /data/g; ls /data; cat /ro/keep; echo no > /ro/new || echo refused; ls /ro`
		trees := map[string]string{}
		results := map[string]result{}
		for _, rt := range []string{runc, kiteBin} {
			base := filepath.Join(workDir, "volumes-"+filepath.Base(rt))
			os.RemoveAll(base)
			rw, ro := filepath.Join(base, "rw"), filepath.Join(base, "ro")
			os.MkdirAll(rw, 0o755)
			os.MkdirAll(ro, 0o755)
			if err := os.WriteFile(filepath.Join(ro, "keep"), []byte("kept\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"podman", "--runtime", rt, "run", "--rm", "-v", rw + ":/data", "-v", ro + ":/ro:ro"}, podmanArgs...)
			results[rt] = runCmd(t, nil, os.Environ(), append(args, engineImage, "/bin/sh", "-c", script)...)
			trees[rt] = describeTree(t, base)
		}
		if results[runc] != results[kiteBin] {
			t.Errorf("podman run -v differs\n--- runc:\n%s\n--- kite:\n%s", results[runc], results[kiteBin])
		}
		if trees[runc] != trees[kiteBin] {
			t.Errorf("the volumes differ afterwards\n--- runc:\n%s\n--- kite:\n%s", trees[runc], trees[kiteBin])
		}
	})

	t.Run("memory", func(t *testing.T) {
		// 200 MB touched in a 64 MB container: the cgroup's OOM killer
		// (runc) or kite's kills dd, and the shell goes on.
		script := `dd if=/dev/zero of=/dev/null bs=200M count=1; echo dd=$?`
		var got [2]result
		for k, rt := range []string{runc, kiteBin} {
			args := append([]string{"podman", "--runtime", rt, "run", "--rm", "--memory", "64m"}, podmanArgs...)
			got[k] = runCmd(t, nil, os.Environ(), append(args, engineImage, "/bin/sh", "-c", script)...)
		}
		if got[0] != got[1] || got[0].stdout != "dd=137\n" {
			t.Errorf("podman run --memory 64m differs\n--- runc:\n%s\n--- kite:\n%s", got[0], got[1])
		}
	})

	t.Run("readonly-paths", func(t *testing.T) {
		script := `cat /proc/sys/kernel/ostype; echo 1 > /proc/sys/kernel/msgmax || echo refused`
		var got [2]result
		for k, rt := range []string{runc, kiteBin} {
			args := append([]string{"podman", "--runtime", rt, "run", "--rm"}, podmanArgs...)
			got[k] = runCmd(t, nil, os.Environ(), append(args, engineImage, "/bin/sh", "-c", script)...)
		}
		if got[0] != got[1] || !strings.Contains(got[0].stdout, "refused") {
			t.Errorf("readonlyPaths differ\n--- runc:\n%s\n--- kite:\n%s", got[0], got[1])
		}
	})

	t.Run("network-host", func(t *testing.T) {
		// A server of the test's own on the host's loopback, reached
		// from a container on the host's network.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "host says hi to %s\n", r.URL.Path)
		})}
		go srv.Serve(l)
		defer srv.Close()
		url := fmt.Sprintf("http://%s/from-container", l.Addr())
		var got [2]result
		for k, rt := range []string{runc, kiteBin} {
			args := append([]string{"podman", "--runtime", rt, "run", "--rm", "--network=host"}, podmanArgs...)
			got[k] = runCmd(t, nil, os.Environ(), append(args, engineImage, "/bin/busybox", "wget", "-q", "-O", "-", url)...)
		}
		if got[0] != got[1] || got[0].stdout != "host says hi to /from-container\n" {
			t.Errorf("podman run --network=host differs\n--- runc:\n%s\n--- kite:\n%s", got[0], got[1])
		}
	})

	t.Run("publish", func(t *testing.T) {
		// A server inside the container (podman's network namespace),
		// reached from the host through -p's forwarding.
		var bodies [2]string
		for k, rt := range []string{runc, kiteBin} {
			port := freePort(t, "tcp")
			name := fmt.Sprintf("kite-test-publish-%d", os.Getpid())
			p := func(args ...string) result {
				return runCmd(t, nil, os.Environ(), append([]string{"podman", "--runtime", rt}, args...)...)
			}
			p("rm", "-f", name)
			args := append([]string{"run", "-d", "--name", name, "-p", "127.0.0.1:" + port + ":8080"}, podmanArgs...)
			r := p(append(args, engineImage, "/bin/sh", "-c", `mkdir -p /www && echo served-from-inside > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www`)...)
			if r.status != "exit 0" {
				t.Fatalf("podman run -d -p with %s: %s", rt, r)
			}
			url := "http://127.0.0.1:" + port + "/index.html"
			fetchWhenUp(t, url) // the handshake: the server answers
			if _, err := exec.LookPath("curl"); err == nil {
				// and curl on the host gets the page, as a user would.
				bodies[k] = runCmd(t, nil, os.Environ(), "curl", "-sS", url).stdout
			} else {
				bodies[k] = fetchWhenUp(t, url)
			}
			p("rm", "-f", "-t", "0", name)
		}
		if bodies[0] != bodies[1] || bodies[0] != "served-from-inside\n" {
			t.Errorf("podman run -p: runc got %q, kite %q", bodies[0], bodies[1])
		}
	})

	t.Run("writable-root", func(t *testing.T) {
		// A container's writes to its root reach the engine's copy of
		// the image, as with runc: podman cp, podman diff and a restart
		// (podman start -a) see them, owners and modes included; /tmp
		// is the root's own. The engine's /etc/hosts is its file bound
		// over the image's: busy to rename, and not in podman diff.
		script := `busybox stat -c '%n %u:%g %a' /w/a /w/l 2>/dev/null; echo run >> /runs; cat /runs; mkdir -p /w; echo data > /w/a; chown 1000:100 /w/a; chmod 640 /w/a
ln -sf a /w/l; echo t > /tmp/t; ls /tmp; mv /etc/hosts /etc/h2 || echo hosts is a mount point; grep -c localhost /etc/hosts`
		var runs, diffs, trees [2]string
		for k, rt := range []string{runc, kiteBin} {
			p := func(args ...string) result {
				return runCmd(t, nil, os.Environ(), append([]string{"podman", "--runtime", rt}, args...)...)
			}
			name := "kite-test-rwroot-" + filepath.Base(rt)
			p("rm", "-f", name)
			args := append([]string{"run", "--name", name}, podmanArgs...)
			r := p(append(args, engineImage, "/bin/sh", "-c", script)...)
			defer p("rm", "-f", name)
			r2 := p("start", "-a", name)
			runs[k] = r.String() + "--- restart:\n" + r2.String()
			d := p("diff", name)
			diffs[k] = d.String()
			out := filepath.Join(workDir, "rwroot-"+filepath.Base(rt))
			os.RemoveAll(out)
			if c := p("cp", name+":/w", out); c.status != "exit 0" {
				t.Fatalf("podman cp with %s: %s", rt, c)
			}
			trees[k] = describeTree(t, out)
		}
		if runs[0] != runs[1] || !strings.Contains(runs[1], "/w/a 1000:100 640\n/w/l 0:0 777\nrun\nrun\n") {
			t.Errorf("a container's writes differ\n--- runc:\n%s\n--- kite:\n%s", runs[0], runs[1])
		}
		if diffs[0] != diffs[1] {
			t.Errorf("podman diff differs\n--- runc:\n%s\n--- kite:\n%s", diffs[0], diffs[1])
		}
		if trees[0] != trees[1] {
			t.Errorf("podman cp differs\n--- runc:\n%s\n--- kite:\n%s", trees[0], trees[1])
		}
		// A user other than root is refused what the root's owners
		// and modes refuse it.
		var user [2]result
		for k, rt := range []string{runc, kiteBin} {
			args := append([]string{"podman", "--runtime", rt, "run", "--rm", "--user", "1000:100"}, podmanArgs...)
			user[k] = runCmd(t, nil, os.Environ(), append(args, engineImage, "/bin/sh", "-c", "id; echo x > /f || echo refused; echo x > /tmp/f || echo refused")...)
		}
		if user[0] != user[1] {
			t.Errorf("a non-root user's writes differ\n--- runc:\n%s\n--- kite:\n%s", user[0], user[1])
		}
	})

	t.Run("sysctl", func(t *testing.T) {
		// IPC sysctls set in the container's IPC namespace.
		var got [2]result
		for k, rt := range []string{runc, kiteBin} {
			args := append([]string{"podman", "--runtime", rt, "run", "--rm", "--sysctl", "kernel.shmmax=1048576", "--sysctl", "kernel.msgmax=4096"}, podmanArgs...)
			got[k] = runCmd(t, nil, os.Environ(), append(args, engineImage, "/bin/cat", "/proc/sys/kernel/shmmax", "/proc/sys/kernel/msgmax")...)
		}
		if got[0] != got[1] || got[0].stdout != "1048576\n4096\n" {
			t.Errorf("podman run --sysctl differs\n--- runc:\n%s\n--- kite:\n%s", got[0], got[1])
		}
	})

	t.Run("pod", func(t *testing.T) {
		// A pod sharing its network and UTS namespaces: a container in
		// it has the pod's hostname, as with runc. Sharing
		// the IPC namespace (podman's default) is refused by kite with
		// an error that says how to make a pod it can run.
		// The pod's infra container gets containers.conf's default
		// ulimits (pod create takes no --ulimit): without podmanArgs'
		// ones there, runc cannot start it on this machine.
		env := os.Environ()
		conf := podContainersConf(t)
		if conf != "" {
			env = append(env, "CONTAINERS_CONF="+conf)
		}
		var got [2]result
		for k, rt := range []string{runc, kiteBin} {
			p := func(args ...string) result {
				return runCmd(t, nil, env, append([]string{"podman", "--runtime", rt}, args...)...)
			}
			pod := "kite-test-pod-" + filepath.Base(rt)
			p("pod", "rm", "-f", pod)
			if r := p("pod", "create", "--name", pod, "--hostname", "podhost", "--share", "net,uts"); r.status != "exit 0" {
				t.Fatalf("podman pod create with %s: %s", rt, r)
			}
			defer p("pod", "rm", "-f", pod)
			args := append([]string{"run", "--rm", "--pod", pod}, podmanArgs...)
			got[k] = p(append(args, engineImage, "/bin/sh", "-c", "hostname; cat /proc/sys/kernel/hostname")...)
		}
		want := result{stdout: "podhost\npodhost\n", status: "exit 0"}
		if got[0] != want && conf != "" {
			t.Errorf("a container in a pod under runc:\n%s\nwant:\n%s", got[0], want)
		} else if got[0] != want {
			t.Logf("runc's pod, with the system's default ulimits (not compared):\n%s", got[0])
		}
		if got[1] != want {
			t.Errorf("a container in a pod under kite:\n%s\nwant:\n%s", got[1], want)
		}
		p := func(args ...string) result {
			return runCmd(t, nil, os.Environ(), append([]string{"podman", "--runtime", kiteBin}, args...)...)
		}
		pod := "kite-test-pod-ipc"
		p("pod", "rm", "-f", pod)
		if r := p("pod", "create", "--name", pod); r.status != "exit 0" {
			t.Fatalf("podman pod create: %s", r)
		}
		defer p("pod", "rm", "-f", pod)
		args := append([]string{"run", "--rm", "--pod", pod}, podmanArgs...)
		if r := p(append(args, engineImage, "/bin/true")...); r.status == "exit 0" || !strings.Contains(r.stderr, "--share net,uts") {
			t.Errorf("a pod sharing its IPC namespace: %s", r)
		}
	})

	t.Run("detached", func(t *testing.T) {
		p := func(args ...string) result {
			return runCmd(t, nil, os.Environ(), append([]string{"podman", "--runtime", kiteBin}, args...)...)
		}
		name := "kite-test-detached"
		p("rm", "-f", name)
		args := append([]string{"run", "-d", "--name", name}, podmanArgs...)
		r := p(append(args, engineImage, "/bin/sh", "-c", `trap "echo bye; exit 0" TERM; echo started; while true; do sleep 1; done`)...)
		if r.status != "exit 0" {
			t.Fatalf("podman run -d: %s", r)
		}
		defer p("rm", "-f", name)
		// Follow the logs until the trap is set: a handshake.
		logs := exec.Command("podman", "--runtime", kiteBin, "logs", "-f", name)
		out, _ := logs.StdoutPipe()
		if err := logs.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		logs.Process.Kill()
		logs.Wait()
		if line != "started\n" {
			t.Fatalf("first log line %q", line)
		}
		if r := p("exec", name, "/bin/sh", "-c", "echo in-exec; grep Seccomp: /proc/self/status; exit 4"); r != (result{stdout: "in-exec\nSeccomp:\t2\n", status: "exit 4"}) {
			t.Errorf("podman exec: %s", r)
		}
		if r := p("stop", "-t", "20", name); r.status != "exit 0" {
			t.Errorf("podman stop: %s", r)
		}
		if r := p("logs", name); r.stdout != "started\nbye\n" {
			t.Errorf("podman logs after stop: %s", r)
		}
		if r := p("inspect", "--format", "{{.State.ExitCode}}", name); r.stdout != "0\n" {
			t.Errorf("exit code after stop: %s", r)
		}
		if r := p("rm", name); r.status != "exit 0" {
			t.Errorf("podman rm: %s", r)
		}
	})
}

// TestContainerd runs a container with containerd's client, ctr, through
// the runc shim with kite as its binary (as a Kubernetes RuntimeClass
// would), and compares it with runc.
func TestContainerd(t *testing.T) {
	for _, p := range []string{"containerd", "ctr", "podman"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (apt-get install containerd podman)", p)
		}
	}
	runcPath(t)
	podmanImage(t)
	archive := filepath.Join(workDir, "engine-image.tar")
	os.Remove(archive)
	if out, err := exec.Command("podman", "save", "--format", "docker-archive", "-o", archive, engineImage).CombinedOutput(); err != nil {
		t.Fatalf("podman save: %v\n%s", err, out)
	}
	dir := filepath.Join(workDir, "containerd")
	sock := filepath.Join(dir, "containerd.sock")
	d := exec.Command("containerd", "--root", filepath.Join(dir, "root"), "--state", filepath.Join(dir, "state"), "--address", sock)
	stderr, _ := d.StderrPipe()
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { d.Process.Kill(); d.Wait() }()
	// containerd logs on stderr; wait for its "booted" line.
	sc := bufio.NewScanner(stderr)
	booted := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "containerd successfully booted") {
			booted = true
			break
		}
	}
	if !booted {
		t.Fatal("containerd did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	ctr := func(args ...string) result {
		return runCmd(t, nil, os.Environ(), append([]string{"ctr", "-a", sock}, args...)...)
	}
	if r := ctr("image", "import", archive); r.status != "exit 0" {
		t.Fatalf("ctr image import: %s", r)
	}
	script := `echo hello; cat /proc/1/cmdline; echo; echo err >&2; exit 4`
	ref := ctr("run", "--rm", engineImage, "kite-ref", "/bin/sh", "-c", script)
	got := ctr("run", "--rm", "--runc-binary", kiteBin, engineImage, "kite-test", "/bin/sh", "-c", script)
	if ref != got || got.status != "exit 4" {
		t.Errorf("ctr run differs\n--- runc:\n%s\n--- kite:\n%s", ref, got)
	}
}

// TestPodmanInteractive runs podman run -it with kite as the runtime in
// a real terminal (tmux): kite sends the terminal's master over the
// console socket; the shell prompts, runs a command, is interrupted
// with ^C, and exits with a status podman passes out.
func TestPodmanInteractive(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed (apt-get install podman)")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	podmanImage(t)
	dir := t.TempDir()
	s := &tmuxSession{t: t, socket: fmt.Sprintf("kite-test-%d-podman-%d", os.Getpid(), time.Now().UnixNano()), dir: dir}
	cmd := fmt.Sprintf("podman --runtime %s run -it --rm %s -e PS1='PROMPT$ ' %s /bin/sh; echo $? > %s; stty -a > %s",
		kiteBin, strings.Join(podmanArgs, " "), engineImage, filepath.Join(dir, "status"), filepath.Join(dir, "stty"))
	s.tmux("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.tmux("set-option", "-g", "remain-on-exit", "on")
	s.waitFor(`PROMPT\$`, 1)
	s.line("echo hel''lo-from-kite")
	s.waitFor(`(?m)^hello-from-kite`, 1)
	// ^C once the job runs (it has the terminal then).
	s.line(`sh -c 'echo started; exec sleep 1000'`)
	s.waitFor(`(?m)^started$`, 1)
	s.interrupt()
	s.line("echo status=$?")
	s.waitFor(`(?m)^status=130$`, 1)
	s.line("exit 7")
	if st, _ := s.exitStatus(); st != "7" {
		t.Errorf("podman run -it exited with %q, want 7\n%s", st, s.screen())
	}
}

// TestPodmanExecInteractive runs `podman exec -it` with kite as the
// runtime in a terminal (tmux): a shell on a terminal of its own inside a
// running container, ^C to a job, and the shell's exit status out.
func TestPodmanExecInteractive(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed (apt-get install podman)")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	podmanImage(t)
	p := func(args ...string) result {
		return runCmd(t, nil, os.Environ(), append([]string{"podman", "--runtime", kiteBin}, args...)...)
	}
	name := fmt.Sprintf("kite-test-exec-it-%d", os.Getpid())
	p("rm", "-f", name)
	args := append([]string{"run", "-d", "--name", name}, podmanArgs...)
	if r := p(append(args, engineImage, "/bin/sh", "-c", `trap "exit 0" TERM; while true; do sleep 1; done`)...); r.status != "exit 0" {
		t.Fatalf("podman run -d: %s", r)
	}
	defer p("rm", "-f", "-t", "0", name)
	dir := t.TempDir()
	s := &tmuxSession{t: t, socket: fmt.Sprintf("kite-test-%d-podexec-%d", os.Getpid(), time.Now().UnixNano()), dir: dir}
	cmd := fmt.Sprintf("podman --runtime %s exec -it -e PS1='PROMPT$ ' %s /bin/sh; echo $? > %s; stty -a > %s",
		kiteBin, name, filepath.Join(dir, "status"), filepath.Join(dir, "stty"))
	s.tmux("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.tmux("set-option", "-g", "remain-on-exit", "on")
	s.waitFor(`PROMPT\$`, 1)
	s.line("tty; echo hel''lo-from-exec")
	s.waitFor(`(?m)^/dev/pts/\d+\n(\S.*\n)?hello-from-exec`, 1)
	s.line(`sh -c 'echo started; exec sleep 1000'`)
	s.waitFor(`(?m)^started$`, 1)
	s.interrupt()
	s.line("echo status=$?")
	s.waitFor(`(?m)^status=130$`, 1)
	s.line("exit 5")
	if st, _ := s.exitStatus(); st != "5" {
		t.Errorf("podman exec -it exited with %q, want 5\n%s", st, s.screen())
	}
}

// fetchWhenUp gets url once its server answers: a server started in the
// background is ready when it first accepts (the handshake), bounded by
// runTimeout.
func fetchWhenUp(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dynamicImage imports an image made of the host's dynamically linked
// bash, ls, cat and tr with the libraries ldd lists, and returns its name.
func dynamicImage(t *testing.T) string {
	t.Helper()
	const name = "localhost/kite-test-dynamic:latest"
	root := filepath.Join(workDir, "dynamic-rootfs")
	os.RemoveAll(root)
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	copyFile := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, prog := range []string{"/bin/bash", "/bin/ls", "/bin/cat", "/usr/bin/tr", "/usr/bin/cut"} {
		real, err := filepath.EvalSymlinks(prog)
		if err != nil {
			t.Skipf("%s: %v", prog, err)
		}
		copyFile(real, filepath.Join(root, "bin", filepath.Base(prog)))
		out, err := exec.Command("ldd", real).Output()
		if err != nil {
			t.Skipf("ldd %s: %v", real, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			for _, f := range strings.Fields(line) {
				if strings.HasPrefix(f, "/") {
					lib, err := filepath.EvalSymlinks(f)
					if err != nil {
						t.Fatal(err)
					}
					// The library under the name the program asks for.
					copyFile(lib, filepath.Join(root, f))
				}
			}
		}
	}
	tarball := filepath.Join(workDir, "dynamic-rootfs.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if out, err := exec.Command("podman", "import", "--change", "ENV PATH=/bin", tarball, name).CombinedOutput(); err != nil {
		t.Fatalf("podman import: %v\n%s", err, out)
	}
	return name
}
