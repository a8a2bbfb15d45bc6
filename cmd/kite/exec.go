package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/pipe"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/oci"
	"github.com/kite-os/kite/tty"
	"github.com/kite-os/kite/vfs"
)

// execRequest is what `kite exec` asks of a running container's kite,
// over the container's exec socket, with its stdin, stdout and stderr
// passed along (SCM_RIGHTS).
type execRequest struct {
	Args            []string `json:"args"`
	Env             []string `json:"env"`
	Cwd             string   `json:"cwd"`
	UID             uint32   `json:"uid"`
	GID             uint32   `json:"gid"`
	AdditionalGids  []uint32 `json:"additionalGids,omitempty"`
	NoNewPrivileges bool     `json:"noNewPrivileges,omitempty"`
	// Terminal asks for a kite terminal on the process's stdio, relayed
	// to the three fds sent (a host terminal: the console socket's
	// slave, or exec's own).
	Terminal bool `json:"terminal,omitempty"`
}

// execReply is the container kite's answer: first a start (Error set if
// the process could not start), then its end.
type execReply struct {
	Started bool   `json:"started,omitempty"`
	Error   string `json:"error,omitempty"`
	Exited  bool   `json:"exited,omitempty"`
	Code    int    `json:"code"`
}

// execSocketPath is where a container's kite listens for exec.
func execSocketPath(id string) string { return filepath.Join(ociGlobal.root, id, "exec.sock") }

// containerKernel is what the exec server needs of a booted container.
type containerKernel struct {
	k      *kernel.Kernel
	v      *vfs.VirtualFilesystem
	ns     *vfs.MountNamespace
	limits *kernel.Limits
	// cont is the container's configuration: exec'd processes get its
	// capabilities and seccomp filter, as runc gives them.
	cont *containerConfig
	// pts is the container's devpts, where exec -t makes terminals.
	pts *tty.Devpts
}

// serveExec accepts exec requests for container id until the listener
// is closed.
func serveExec(id string, ck *containerKernel) (stop func(), err error) {
	p := execSocketPath(id)
	os.Remove(p)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	if err != nil {
		return nil, err
	}
	os.Chmod(p, 0o600)
	go func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			go ck.handleExec(c)
		}
	}()
	return func() { l.Close(); os.Remove(p) }, nil
}

// handleExec runs one exec request: a new process in the container's
// kernel with the caller's stdio.
func (ck *containerKernel) handleExec(c *net.UnixConn) {
	defer c.Close()
	buf := make([]byte, 1<<16)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return
	}
	var fds []int
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			if r, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, r...)
			}
		}
	}
	reply := func(r execReply) {
		b, _ := json.Marshal(r)
		c.Write(append(b, '\n'))
	}
	var req execRequest
	if err := json.Unmarshal(buf[:n], &req); err != nil || len(req.Args) == 0 || len(fds) != 3 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		reply(execReply{Error: "bad exec request"})
		return
	}
	var term *hostTerminal
	if req.Terminal {
		term, err = ck.execTerminal(fds)
		if err != nil {
			reply(execReply{Error: err.Error()})
			return
		}
		defer term.restore()
	}
	tg, relays, err := ck.start(&req, fds, term)
	if err != nil {
		reply(execReply{Error: describeError(req.Args[0], err)})
		return
	}
	reply(execReply{Started: true})
	if term != nil {
		term.start()
	}
	<-tg.Done()
	if term != nil {
		term.finish()
	}
	// The output is all relayed once every writer of the process's
	// stdout and stderr is gone.
	for _, r := range relays {
		<-r
	}
	ws := tg.ExitStatus()
	code, ok := ws.Exited()
	if !ok {
		sig, _, _ := ws.Signaled()
		code = 128 + sig
	}
	reply(execReply{Exited: true, Code: code})
}

// start makes the process of an exec request. Its stdin is a console over
// the caller's fd, which stays open in kite (a console may outlive the
// process); its stdout and stderr are kite pipes relayed to the caller's
// fds, which are closed when the pipes' last writer is gone (the
// returned channels close then), so the caller sees the end of the
// output.
func (ck *containerKernel) start(req *execRequest, fds []int, term *hostTerminal) (*kernel.ThreadGroup, []chan struct{}, error) {
	ctx := vfs.KernelContext{}
	fsc := vfs.NewFSContext(ck.ns.Root())
	if term != nil {
		return ck.startOnTerminal(req, fsc, term)
	}
	if req.Cwd != "" {
		p, err := ck.v.GetPath(ctx, fsc, ck.ns.Root(), req.Cwd, true)
		if err != nil {
			unix.Close(fds[1])
			unix.Close(fds[2])
			return nil, nil, fmt.Errorf("cwd %s: %w", req.Cwd, err)
		}
		fsc.SetCwd(p)
	}
	fdt := vfs.NewFDTable()
	fdt.SetLimit(ck.limits.Get(unix.RLIMIT_NOFILE).Cur)
	con, err := tty.NewConsole(fds[0])
	if err != nil {
		return nil, nil, err
	}
	flags, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFL, 0)
	if err != nil {
		return nil, nil, err
	}
	in, err := tty.OpenStdio(ctx, ck.v, fsc, con, flags&(unix.O_ACCMODE|unix.O_APPEND))
	if err != nil {
		return nil, nil, err
	}
	err = fdt.SetFD(ctx, 0, in, 0)
	in.DecRef(ctx)
	if err != nil {
		return nil, nil, err
	}
	var relays []chan struct{}
	for i, fd := range fds[1:] {
		r, w, err := pipe.New(ctx, ck.v, 0)
		if err != nil {
			return nil, nil, err
		}
		err = fdt.SetFD(ctx, int32(i+1), w, 0)
		w.DecRef(ctx)
		if err != nil {
			r.DecRef(ctx)
			return nil, nil, err
		}
		done := make(chan struct{})
		relays = append(relays, done)
		go relayOutput(r, fd, done)
	}
	tg, err := ck.startProcess(req, fsc, fdt, nil)
	if err != nil {
		return nil, nil, err
	}
	return tg, relays, nil
}

// startProcess starts the program of req with fdt, in a session of its
// own whose controlling terminal is term (none if nil). On an error fdt
// is emptied.
func (ck *containerKernel) startProcess(req *execRequest, fsc *vfs.FSContext, fdt *vfs.FDTable, term *tty.Terminal) (*kernel.ThreadGroup, error) {
	ctx := vfs.KernelContext{}
	creds := auth.New(req.UID, req.GID, req.AdditionalGids)
	if cc := ck.cont.creds; cc.RealUID == req.UID {
		creds.PermittedCaps, creds.EffectiveCaps, creds.InheritableCaps = cc.PermittedCaps, cc.EffectiveCaps, cc.InheritableCaps
		creds.BoundingCaps, creds.AmbientCaps = cc.BoundingCaps, cc.AmbientCaps
	}
	filename, err := lookPath(vfs.KernelContext{Creds: creds}, ck.v, fsc, req.Args[0], req.Env)
	if err != nil {
		fdt.RemoveAll(ctx)
		return nil, err
	}
	tg, err := ck.k.StartProcess(kernel.ProcessArgs{
		Filename:       filename,
		Argv:           req.Args,
		Envv:           req.Env,
		FDTable:        fdt,
		FSContext:      fsc,
		Credentials:    creds,
		MountNamespace: ck.ns,
		Limits:         ck.limits,
		NoNewPrivs:     req.NoNewPrivileges,
		Seccomp:        ck.cont.seccomp,
		SeccompFlags:   ck.cont.seccompFlags,
		Terminal:       term,
	})
	if err != nil {
		fdt.RemoveAll(ctx)
		return nil, err
	}
	return tg, nil
}

// execTerminal makes the kite terminal of exec -t: a kite PTY relayed to
// the host terminal sent as fds (the same terminal thrice), which kite
// puts in raw mode so that kite's line discipline does the work.
func (ck *containerKernel) execTerminal(fds []int) (*hostTerminal, error) {
	c, err := tty.NewConsole(fds[0])
	if err != nil {
		return nil, err
	}
	for _, fd := range fds[1:] {
		unix.Close(fd)
	}
	h, err := newHostTerminal(vfs.KernelContext{}, ck.pts, []*tty.Console{c, c, c}, ttyForce)
	if err != nil {
		return nil, fmt.Errorf("a terminal for the process: %w", err)
	}
	return h, nil
}

// startOnTerminal starts the process of an exec -t request with the
// slave of term as its stdio and controlling terminal, in a session of
// its own.
func (ck *containerKernel) startOnTerminal(req *execRequest, fsc *vfs.FSContext, term *hostTerminal) (*kernel.ThreadGroup, []chan struct{}, error) {
	ctx := vfs.KernelContext{}
	if req.Cwd != "" {
		p, err := ck.v.GetPath(ctx, fsc, ck.ns.Root(), req.Cwd, true)
		if err != nil {
			return nil, nil, fmt.Errorf("cwd %s: %w", req.Cwd, err)
		}
		fsc.SetCwd(p)
	}
	fdt := vfs.NewFDTable()
	fdt.SetLimit(ck.limits.Get(unix.RLIMIT_NOFILE).Cur)
	for fd := int32(0); fd < 3; fd++ {
		f, err := term.term.OpenSlave(ctx, fsc, unix.O_RDWR)
		if err != nil {
			fdt.RemoveAll(ctx)
			return nil, nil, err
		}
		err = fdt.SetFD(ctx, fd, f, 0)
		f.DecRef(ctx)
		if err != nil {
			fdt.RemoveAll(ctx)
			return nil, nil, err
		}
	}
	tg, err := ck.startProcess(req, fsc, fdt, term.term)
	return tg, nil, err
}

// relayOutput copies what a kite pipe's writers write to the host fd,
// and closes both when the last writer is gone.
func relayOutput(r *vfs.File, fd int, done chan struct{}) {
	ctx := vfs.KernelContext{}
	defer close(done)
	defer unix.Close(fd)
	defer r.DecRef(ctx)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(ctx, buf)
		if n == 0 || err != nil {
			return
		}
		for b := buf[:n]; len(b) > 0; {
			m, err := unix.Write(fd, b)
			if err == unix.EAGAIN {
				unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, -1)
				continue
			}
			if err != nil && err != unix.EINTR {
				// Nobody reads any more: drain the pipe so
				// the process does not block.
				break
			}
			if m > 0 {
				b = b[m:]
			}
		}
	}
}

// ociExec is runc's exec: run another process in a running container.
// Without --detach it waits and exits with the process's status; with
// it, a detached kite holds the process and its pid goes to --pid-file
// (an engine waits for that pid as for runc's exec'd process).
func ociExec(args []string) int {
	var process, pidFile, cwd, userSpec, consoleSocket string
	var detach, tty bool
	var envs []string
	pos, err := ociFlags("exec", args, func(fs *flag.FlagSet) {
		fs.StringVar(&process, "process", "", "a JSON file with the process (config.json's process)")
		fs.StringVar(&process, "p", "", "a JSON file with the process")
		fs.StringVar(&pidFile, "pid-file", "", "write the process's pid here")
		fs.StringVar(&cwd, "cwd", "", "working directory")
		fs.StringVar(&userSpec, "user", "", "UID[:GID]")
		fs.StringVar(&userSpec, "u", "", "UID[:GID]")
		fs.BoolVar(&detach, "detach", false, "do not wait for the process")
		fs.BoolVar(&detach, "d", false, "do not wait for the process")
		fs.BoolVar(&tty, "tty", false, "give the process a terminal")
		fs.BoolVar(&tty, "t", false, "give the process a terminal")
		fs.StringVar(&consoleSocket, "console-socket", "", "AF_UNIX socket to send the terminal's master to")
		fs.Func("env", "KEY=VALUE (repeatable)", func(s string) error { envs = append(envs, s); return nil })
		fs.Func("e", "KEY=VALUE (repeatable)", func(s string) error { envs = append(envs, s); return nil })
		fs.String("process-label", "", "accepted")
		fs.String("apparmor", "", "accepted")
		fs.Bool("no-new-privs", false, "accepted")
		fs.Func("cap", "accepted", func(string) error { return nil })
		fs.Func("additional-gids", "accepted", func(string) error { return nil })
		fs.String("cgroup", "", "accepted")
		fs.Bool("ignore-paused", false, "accepted")
	})
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("exec", pos)
	if err != nil {
		return ociError(err)
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return ociError(err)
	}
	if st := store.Status(c); st != oci.StatusRunning {
		return ociError(fmt.Errorf("cannot exec in a %s container", st))
	}
	var consoleSize *oci.Box
	spec, err := oci.LoadSpec(c.Bundle)
	if err != nil {
		return ociError(err)
	}
	req := execRequest{Env: spec.Process.Env, Cwd: spec.Process.Cwd, UID: spec.Process.User.UID, GID: spec.Process.User.GID,
		AdditionalGids: spec.Process.User.AdditionalGids, NoNewPrivileges: spec.Process.NoNewPrivileges}
	if process != "" {
		b, err := os.ReadFile(process)
		if err != nil {
			return ociError(err)
		}
		var p oci.Process
		if err := json.Unmarshal(b, &p); err != nil {
			return ociError(fmt.Errorf("--process: %w", err))
		}
		tty = tty || p.Terminal
		consoleSize = p.ConsoleSize
		req.Args, req.Env, req.Cwd = p.Args, p.Env, p.Cwd
		req.UID, req.GID, req.AdditionalGids, req.NoNewPrivileges = p.User.UID, p.User.GID, p.User.AdditionalGids, p.NoNewPrivileges
	} else {
		req.Args = pos[1:]
	}
	if len(req.Args) == 0 {
		return ociError(errors.New("exec: no command given"))
	}
	switch {
	case tty && detach && consoleSocket == "":
		return ociError(errors.New("cannot allocate tty if kite will detach without setting console socket"))
	case !tty && consoleSocket != "":
		return ociError(errors.New("cannot use console socket if kite will not allocate tty"))
	case consoleSocket != "":
		// The host terminal whose master the engine gets becomes this
		// kite's stdio, relayed by the container's kite.
		if err := attachConsoleSocket(consoleSocket, consoleSize); err != nil {
			return ociError(err)
		}
	}
	req.Terminal = tty
	req.Env = append(req.Env, envs...)
	if cwd != "" {
		req.Cwd = cwd
	}
	if userSpec != "" {
		u, g, _ := strings.Cut(userSpec, ":")
		uid, err := strconv.ParseUint(u, 10, 32)
		if err != nil {
			return ociError(fmt.Errorf("--user %s: kite takes numeric ids", userSpec))
		}
		req.UID = uint32(uid)
		if g != "" {
			gid, err := strconv.ParseUint(g, 10, 32)
			if err != nil {
				return ociError(fmt.Errorf("--user %s: kite takes numeric ids", userSpec))
			}
			req.GID = uint32(gid)
		}
	}
	if detach {
		return execDetached(req, id, pidFile)
	}
	code, err := execAttached(req, id, nil)
	if err != nil {
		return ociError(err)
	}
	return code
}

// execAttached sends req with kite's stdio and waits for the process's
// end; started (if not nil) is told when it has started.
func execAttached(req execRequest, id string, started func()) (int, error) {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: execSocketPath(id), Net: "unix"})
	if err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	defer conn.Close()
	b, _ := json.Marshal(req)
	if _, _, err := conn.WriteMsgUnix(b, unix.UnixRights(0, 1, 2), nil); err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	dec := json.NewDecoder(conn)
	for {
		var r execReply
		if err := dec.Decode(&r); err != nil {
			if err == io.EOF {
				err = errors.New("the container ended")
			}
			return 0, fmt.Errorf("exec: %w", err)
		}
		switch {
		case r.Error != "":
			return 0, fmt.Errorf("exec failed: %s", r.Error)
		case r.Started:
			if started != nil {
				started()
			}
		case r.Exited:
			return r.Code, nil
		}
	}
}

// execDetached starts a detached kite that runs the exec and exits with
// the process's status, and writes its pid.
func execDetached(req execRequest, id, pidFile string) int {
	self, err := os.Executable()
	if err != nil {
		return ociError(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return ociError(err)
	}
	defer r.Close()
	b, _ := json.Marshal(req)
	cmd := exec.Command(self, "--root", ociGlobal.root, "exec-holder", id, string(b))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return ociError(err)
	}
	msg, _ := io.ReadAll(r)
	if string(msg) != "ok" {
		cmd.Wait()
		if len(msg) == 0 {
			msg = []byte("exec: the process did not start")
		}
		return ociError(errors.New(string(msg)))
	}
	if pidFile != "" {
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
			return ociError(err)
		}
	}
	cmd.Process.Release()
	return 0
}

// ociExecHolder is the detached side of exec --detach: it runs the exec
// and says on fd 3 when the process has started.
func ociExecHolder(args []string) int {
	ready := os.NewFile(3, "ready")
	if len(args) != 2 {
		ready.WriteString("exec-holder: bad arguments")
		return 2
	}
	var req execRequest
	if err := json.Unmarshal([]byte(args[1]), &req); err != nil {
		ready.WriteString(err.Error())
		return 2
	}
	code, err := execAttached(req, args[0], func() {
		ready.WriteString("ok")
		ready.Close()
		ready = nil
	})
	if err != nil {
		if ready != nil {
			ready.WriteString(err.Error())
			ready.Close()
		}
		return ociError(err)
	}
	return code
}
