package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/oci"
)

// ociGlobals are runc's global flags, given before the verb.
type ociGlobals struct {
	root      string
	log       string
	logFormat string
	debug     bool
}

// ociGlobal holds the global flags of this invocation.
var ociGlobal = ociGlobals{root: oci.DefaultRoot, logFormat: "text"}

func init() {
	for name, v := range map[string]verb{
		"create":         {run: ociCreate, help: "OCI: create a container from a bundle (runc create)"},
		"start":          {run: ociStart, help: "OCI: start a created container"},
		"state":          {run: ociState, help: "OCI: print a container's state as JSON"},
		"kill":           {run: ociKill, help: "OCI: send a signal to a container"},
		"delete":         {run: ociDelete, help: "OCI: delete a container (--force: also a running one)"},
		"list":           {run: ociList, help: "OCI: list containers"},
		"ps":             {run: ociPs, help: "OCI: list a container's host processes"},
		"pause":          {run: ociPause, help: "OCI: suspend a container"},
		"resume":         {run: ociResume, help: "OCI: resume a paused container"},
		"events":         {run: ociEvents, help: "OCI: print a container's resource use (--stats)"},
		"spec":           {run: ociSpec, help: "OCI: write an example config.json"},
		"features":       {run: ociFeatures, help: "OCI: print what kite's runtime supports as JSON"},
		"exec":           {run: ociExec, help: "OCI: run another process in a running container"},
		"exec-holder":    {run: ociExecHolder, help: "(internal) holds a detached exec"},
		"checkpoint":     {run: ociUnsupported("checkpoint", "checkpoint/restore is not supported"), help: "OCI: not supported"},
		"restore":        {run: ociUnsupported("restore", "checkpoint/restore is not supported"), help: "OCI: not supported"},
		"container-init": {run: ociContainerInit, help: "(internal) the process that holds a created container"},
	} {
		verbs[name] = v
	}
}

// parseOCIGlobals takes runc's global flags off the front of args.
func parseOCIGlobals(args []string) ([]string, error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		take := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if len(args) < 2 {
				return "", fmt.Errorf("flag --%s needs a value", name)
			}
			args = args[1:]
			return args[0], nil
		}
		var err error
		switch name {
		case "root":
			ociGlobal.root, err = take()
		case "log":
			ociGlobal.log, err = take()
		case "log-format":
			ociGlobal.logFormat, err = take()
		case "criu", "rootless":
			_, err = take()
		case "debug":
			ociGlobal.debug = true
		case "systemd-cgroup":
		default:
			return nil, fmt.Errorf("unknown global flag %s", args[0])
		}
		if err != nil {
			return nil, err
		}
		args = args[1:]
	}
	return args, nil
}

// ociError reports err as runc does: on stderr, and in the --log file in
// the --log-format the engine asked for (podman reads it).
func ociError(err error) int {
	fmt.Fprintf(os.Stderr, "kite: %v\n", err)
	if ociGlobal.log != "" {
		if f, ferr := os.OpenFile(ociGlobal.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); ferr == nil {
			if ociGlobal.logFormat == "json" {
				b, _ := json.Marshal(map[string]string{"level": "error", "msg": err.Error(), "time": time.Now().Format(time.RFC3339)})
				f.Write(append(b, '\n'))
			} else {
				fmt.Fprintf(f, "time=%q level=error msg=%q\n", time.Now().Format(time.RFC3339), err.Error())
			}
			f.Close()
		}
	}
	return 1
}

func ociUnsupported(verb, why string) func([]string) int {
	return func([]string) int { return ociError(fmt.Errorf("%s: %s", verb, why)) }
}

func ociStore() oci.Store { return oci.Store{Root: ociGlobal.root} }

// ociFlags parses a verb's flags (accepting runc's that kite ignores) and
// returns the positional arguments.
func ociFlags(name string, args []string, define func(fs *flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if define != nil {
		define(fs)
	}
	for _, b := range []string{"no-pivot", "no-new-keyring", "no-subreaper", "all", "a"} {
		if fs.Lookup(b) == nil {
			fs.Bool(b, false, "accepted for runc's command line")
		}
	}
	if fs.Lookup("preserve-fds") == nil {
		fs.Int("preserve-fds", 0, "accepted for runc's command line")
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return fs.Args(), nil
}

// oneID returns the single container id of a verb.
func oneID(verb string, pos []string) (string, error) {
	if len(pos) < 1 {
		return "", fmt.Errorf("%s: container id cannot be empty", verb)
	}
	return pos[0], nil
}

// createOptions are create's and run's flags.
type createOptions struct {
	bundle, pidFile, consoleSocket string
	detach, keep                   bool
	// foreground is runc run without --detach.
	foreground bool
}

func defineCreate(o *createOptions, run bool) func(fs *flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.StringVar(&o.bundle, "bundle", ".", "the bundle directory")
		fs.StringVar(&o.bundle, "b", ".", "the bundle directory")
		fs.StringVar(&o.pidFile, "pid-file", "", "write the container's pid here")
		fs.StringVar(&o.consoleSocket, "console-socket", "", "AF_UNIX socket to send the terminal's master to")
		if run {
			fs.BoolVar(&o.detach, "detach", false, "do not wait for the container")
			fs.BoolVar(&o.detach, "d", false, "do not wait for the container")
			fs.BoolVar(&o.keep, "keep", false, "keep the container's state after it exits")
		}
	}
}

// prepare loads the bundle and records a new container; the caller
// fills its pid.
func prepare(id string, o createOptions) (*oci.Spec, *oci.Container, error) {
	bundle, err := filepath.Abs(o.bundle)
	if err != nil {
		return nil, nil, err
	}
	spec, err := oci.LoadSpec(bundle)
	if err != nil {
		return nil, nil, err
	}
	if spec.Process.Terminal && o.consoleSocket == "" && (o.detach || !o.foreground) {
		return nil, nil, errors.New("cannot allocate tty if kite will detach without setting console socket")
	}
	if !spec.Process.Terminal && o.consoleSocket != "" {
		return nil, nil, errors.New("cannot use console socket if the container has no terminal")
	}
	c := &oci.Container{ID: id, Bundle: bundle, Rootfs: spec.Root.Path, Created: time.Now().UTC(), Annotations: spec.Annotations}
	if err := ociStore().Create(c); err != nil {
		return nil, nil, err
	}
	return spec, c, nil
}

// startInit starts the detached kite that holds container id until
// start, and waits until it is set up.
func startInit(id, consoleSocket string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	args := []string{"--root", ociGlobal.root}
	if ociGlobal.log != "" {
		args = append(args, "--log", ociGlobal.log, "--log-format", ociGlobal.logFormat)
	}
	args = append(args, "container-init")
	if consoleSocket != "" {
		args = append(args, "--console-socket", consoleSocket)
	}
	cmd := exec.Command(self, append(args, id)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return 0, err
	}
	msg, _ := io.ReadAll(r)
	if string(msg) != "ok" {
		cmd.Wait()
		if len(msg) == 0 {
			msg = []byte("the container's init process exited during setup")
		}
		return 0, errors.New(string(msg))
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	return pid, nil
}

// record stores the container's pid and writes the pid file.
func record(c *oci.Container, pid int, pidFile string) error {
	c.Pid = pid
	c.PidStart, _, _ = oci.ProcessStart(pid)
	if err := ociStore().Save(c); err != nil {
		return err
	}
	if pidFile != "" {
		return os.WriteFile(pidFile, []byte(strconv.Itoa(pid)), 0o644)
	}
	return nil
}

func ociCreate(args []string) int {
	var o createOptions
	pos, err := ociFlags("create", args, defineCreate(&o, false))
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("create", pos)
	if err != nil {
		return ociError(err)
	}
	spec, c, err := prepare(id, o)
	if err != nil {
		return ociError(err)
	}
	pid, err := startInit(id, o.consoleSocket)
	if err == nil {
		err = record(c, pid, o.pidFile)
	}
	if err == nil && spec.Hooks != nil {
		err = runHooks(c, append(append(spec.Hooks.Prestart, spec.Hooks.CreateRuntime...), spec.Hooks.CreateContainer...))
	}
	if err != nil {
		if pid > 0 {
			unix.Kill(pid, unix.SIGKILL)
		}
		ociStore().Remove(id)
		return ociError(err)
	}
	return 0
}

// ociContainerInit is the detached process create starts: it builds the
// container's kernel, says so on fd 3, waits for start on the FIFO and
// runs the program; its exit is the program's.
func ociContainerInit(args []string) int {
	consoleSocket := ""
	if len(args) == 3 && args[0] == "--console-socket" {
		consoleSocket, args = args[1], args[2:]
	}
	if len(args) != 1 {
		return ociError(errors.New("container-init: needs the container id"))
	}
	id := args[0]
	ready := os.NewFile(3, "ready")
	fail := func(err error) int {
		if ready != nil {
			ready.WriteString(err.Error())
			ready.Close()
		}
		return ociError(err)
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return fail(err)
	}
	spec, err := oci.LoadSpec(c.Bundle)
	if err != nil {
		return fail(err)
	}
	o, err := containerOptions(spec)
	if err != nil {
		return fail(err)
	}
	if consoleSocket != "" {
		if err := attachConsoleSocket(consoleSocket, spec.Process.ConsoleSize); err != nil {
			return fail(err)
		}
	}
	o.debug = ociGlobal.debug
	o.container.started = execServer(id)
	o.container.ready = func() error {
		ready.WriteString("ok")
		ready.Close()
		ready = nil
		// Wait until start opens the FIFO (runc's exec.fifo).
		f, err := os.OpenFile(store.FifoPath(id), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.Write([]byte{0})
		f.Close()
		if err == nil && spec.Hooks != nil {
			err = runHooks(c, spec.Hooks.StartContainer)
		}
		return err
	}
	// The container's stderr is its program's: kite's own messages go to
	// the --log file, or to kite.log in the container's state directory.
	logFile := ociGlobal.log
	if logFile == "" {
		logFile = filepath.Join(ociGlobal.root, id, "kite.log")
	}
	code := bootContainer(o, logFile)
	if ready != nil {
		return fail(fmt.Errorf("setting up container %s failed", id))
	}
	// A program killed by signal N ends kite with 128+N, as runc run
	// reports it (kite's Go runtime cannot die of every signal).
	return code
}

// bootContainer runs a container's kernel and returns the exit status.
// kite's own messages (an OOM kill, say) go to logFile, as runc's go to
// its --log, or to stderr if logFile is "".
func bootContainer(o runOptions, logFile string) int {
	level := slog.LevelWarn
	if o.debug {
		level = slog.LevelDebug
	}
	var out io.Writer = os.Stderr
	if logFile != "" {
		if f, err := os.OpenFile(logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			defer f.Close()
			out = f
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(out, opts)
	if ociGlobal.logFormat == "json" && out != io.Writer(os.Stderr) {
		h = slog.NewJSONHandler(out, opts)
	}
	code, err := boot(o, slog.New(h))
	if err != nil {
		ociError(err)
	}
	return code
}

func ociStart(args []string) int {
	pos, err := ociFlags("start", args, nil)
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("start", pos)
	if err != nil {
		return ociError(err)
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return ociError(err)
	}
	switch st := store.Status(c); st {
	case oci.StatusCreated:
	case oci.StatusStopped:
		return ociError(errors.New("cannot start a container that has stopped"))
	default:
		return ociError(fmt.Errorf("cannot start an already %s container", st))
	}
	if err := openStartFIFO(store, c); err != nil {
		return ociError(err)
	}
	if spec, err := oci.LoadSpec(c.Bundle); err == nil && spec.Hooks != nil {
		if err := runHooks(c, spec.Hooks.Poststart); err != nil {
			return ociError(err)
		}
	}
	return 0
}

// openStartFIFO releases a created container's init: it reads the byte
// init writes once start has opened the FIFO, then removes the FIFO.
func openStartFIFO(store oci.Store, c *oci.Container) error {
	fd, err := unix.Open(store.FifoPath(c.ID), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer unix.Close(fd)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 200)
		if err != nil && err != unix.EINTR {
			return err
		}
		if n > 0 && fds[0].Revents&unix.POLLIN != 0 {
			var b [1]byte
			if _, err := unix.Read(fd, b[:]); err == nil {
				return os.Remove(store.FifoPath(c.ID))
			}
		}
		if !c.Alive() {
			return errors.New("cannot start a container that has stopped")
		}
	}
}

func ociState(args []string) int {
	pos, err := ociFlags("state", args, nil)
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("state", pos)
	if err != nil {
		return ociError(err)
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return ociError(err)
	}
	b, _ := json.MarshalIndent(store.State(c), "", "  ")
	fmt.Println(string(b))
	return 0
}

// parseSignal reads a signal as a number or a name (with or without SIG).
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

func ociKill(args []string) int {
	pos, err := ociFlags("kill", args, nil)
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("kill", pos)
	if err != nil {
		return ociError(err)
	}
	sig := unix.SIGTERM
	if len(pos) > 1 {
		if sig, err = parseSignal(pos[1]); err != nil {
			return ociError(err)
		}
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return ociError(err)
	}
	if store.Status(c) == oci.StatusStopped {
		return ociError(errors.New("container not running"))
	}
	if err := unix.Kill(c.Pid, sig); err != nil {
		return ociError(err)
	}
	return 0
}

// waitGone waits until pid has exited (or is a zombie).
func waitGone(c *oci.Container) {
	fd, err := unix.PidfdOpen(c.Pid, 0)
	if err == nil {
		defer unix.Close(fd)
		for c.Alive() {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			unix.Poll(fds, 1000)
			if fds[0].Revents != 0 {
				return
			}
		}
	}
}

func ociDelete(args []string) int {
	force := false
	pos, err := ociFlags("delete", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "kill a running container first")
		fs.BoolVar(&force, "f", false, "kill a running container first")
	})
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("delete", pos)
	if err != nil {
		return ociError(err)
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		if force && err == oci.ErrNotExist {
			return 0
		}
		return ociError(err)
	}
	switch st := store.Status(c); st {
	case oci.StatusStopped:
	case oci.StatusCreated:
		unix.Kill(c.Pid, unix.SIGKILL)
		waitGone(c)
	default:
		if !force {
			return ociError(fmt.Errorf("cannot delete container %s that is not stopped: %s", id, st))
		}
		if st == oci.StatusPaused {
			unix.Kill(-c.Pid, unix.SIGCONT)
		}
		unix.Kill(c.Pid, unix.SIGKILL)
		waitGone(c)
	}
	if err := store.Remove(id); err != nil {
		return ociError(err)
	}
	if spec, err := oci.LoadSpec(c.Bundle); err == nil && spec.Hooks != nil {
		runHooks(c, spec.Hooks.Poststop)
	}
	return 0
}

func ociList(args []string) int {
	format, quiet := "table", false
	if _, err := ociFlags("list", args, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "table", "table or json")
		fs.StringVar(&format, "f", "table", "table or json")
		fs.BoolVar(&quiet, "quiet", false, "print only the ids")
		fs.BoolVar(&quiet, "q", false, "print only the ids")
	}); err != nil {
		return ociError(err)
	}
	store := ociStore()
	cs, err := store.List()
	if err != nil {
		return ociError(err)
	}
	owner := ""
	if st, err := os.Stat(store.Root); err == nil {
		uid := st.Sys().(*syscall.Stat_t).Uid
		owner = "#" + strconv.Itoa(int(uid))
		if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
			owner = u.Username
		}
	}
	var states []oci.State
	for _, c := range cs {
		s := store.State(c)
		s.Owner = owner
		states = append(states, s)
	}
	switch {
	case quiet:
		for _, s := range states {
			fmt.Println(s.ID)
		}
	case format == "json":
		json.NewEncoder(os.Stdout).Encode(states)
	case format == "table":
		w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, s := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano), s.Owner)
		}
		w.Flush()
	default:
		return ociError(fmt.Errorf("invalid format option %q", format))
	}
	return 0
}

func ociPs(args []string) int {
	format := "table"
	pos, err := ociFlags("ps", args, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "table", "table or json")
		fs.StringVar(&format, "f", "table", "table or json")
	})
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("ps", pos)
	if err != nil {
		return ociError(err)
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return ociError(err)
	}
	var pids []int
	if store.Status(c) != oci.StatusStopped {
		// The container's host processes: kite itself (its application
		// processes are kite's own, not the host's).
		pids = []int{c.Pid}
	}
	if format == "json" {
		if pids == nil {
			pids = []int{}
		}
		json.NewEncoder(os.Stdout).Encode(pids)
		return 0
	}
	out, err := exec.Command("ps", append([]string{"-f", "-p"}, strconv.Itoa(c.Pid))...).Output()
	if err != nil && len(out) == 0 {
		return ociError(fmt.Errorf("ps: %w", err))
	}
	os.Stdout.Write(out)
	return 0
}

func pauseResume(verb string, args []string, pause bool) int {
	pos, err := ociFlags(verb, args, nil)
	if err != nil {
		return ociError(err)
	}
	id, err := oneID(verb, pos)
	if err != nil {
		return ociError(err)
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return ociError(err)
	}
	st := store.Status(c)
	if pause && st != oci.StatusRunning {
		return ociError(fmt.Errorf("container not running"))
	}
	if !pause && st != oci.StatusPaused {
		return ociError(fmt.Errorf("container not paused"))
	}
	// kite and its stub processes form one host process group.
	sig := unix.SIGSTOP
	if !pause {
		sig = unix.SIGCONT
	}
	if err := unix.Kill(-c.Pid, sig); err != nil {
		return ociError(err)
	}
	if err := store.SetPaused(id, pause); err != nil {
		return ociError(err)
	}
	return 0
}

func ociPause(args []string) int  { return pauseResume("pause", args, true) }
func ociResume(args []string) int { return pauseResume("resume", args, false) }

func ociEvents(args []string) int {
	stats := false
	pos, err := ociFlags("events", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&stats, "stats", false, "print one report of resource use")
		fs.Duration("interval", 5*time.Second, "accepted; kite prints one report")
	})
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("events", pos)
	if err != nil {
		return ociError(err)
	}
	if !stats {
		return ociError(errors.New("events: only --stats is supported"))
	}
	store := ociStore()
	c, err := store.Load(id)
	if err != nil {
		return ociError(err)
	}
	if store.Status(c) == oci.StatusStopped {
		return ociError(errors.New("container not running"))
	}
	cpu, rss := hostUsage(c.Pid)
	ev := map[string]any{
		"type": "stats",
		"id":   id,
		"data": map[string]any{
			"cpu":    map[string]any{"usage": map[string]any{"total": cpu}},
			"memory": map[string]any{"usage": map[string]any{"usage": rss}},
		},
	}
	json.NewEncoder(os.Stdout).Encode(ev)
	return 0
}

// hostUsage is the CPU time (ns) and resident memory (bytes) of a host
// process, from /proc/PID/stat: for a container, kite's own (the
// container's processes run inside it; their count is kite's to know and
// is not reported).
func hostUsage(pid int) (cpu, rss uint64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 22 {
		return 0, 0
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	pages, _ := strconv.ParseUint(f[21], 10, 64)
	return (ut + st) * uint64(time.Second/100), pages * uint64(os.Getpagesize())
}

func ociSpec(args []string) int {
	bundle := "."
	if _, err := ociFlags("spec", args, func(fs *flag.FlagSet) {
		fs.StringVar(&bundle, "bundle", ".", "where to write config.json")
		fs.StringVar(&bundle, "b", ".", "where to write config.json")
		fs.Bool("rootless", false, "accepted")
	}); err != nil {
		return ociError(err)
	}
	p := filepath.Join(bundle, "config.json")
	if _, err := os.Stat(p); err == nil {
		return ociError(errors.New("File config.json exists. Remove it first"))
	}
	b, _ := json.MarshalIndent(oci.ExampleSpec(), "", "\t")
	if err := os.WriteFile(p, append(b, '\n'), 0o666); err != nil {
		return ociError(err)
	}
	return 0
}

func ociFeatures(args []string) int {
	var caps []string
	for i := 0; i <= unix.CAP_LAST_CAP; i++ {
		if n := oci.CapabilityName(i); n != "" {
			caps = append(caps, n)
		}
	}
	f := map[string]any{
		"ociVersionMin": "1.0.0",
		"ociVersionMax": oci.Version,
		"hooks":         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		"mountOptions":  []string{"bind", "rbind", "ro", "rw", "mode"},
		"linux": map[string]any{
			"capabilities": caps,
			"seccomp": map[string]any{
				"enabled":   true,
				"actions":   []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"},
				"operators": []string{"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"},
				"archs":     []string{"SCMP_ARCH_X86_64"},
			},
		},
	}
	b, _ := json.MarshalIndent(f, "", "    ")
	fmt.Println(string(b))
	return 0
}

// runHooks runs hooks in order with the container's state on stdin, as
// runc does; a failing hook fails the operation.
func runHooks(c *oci.Container, hooks []oci.Hook) error {
	if len(hooks) == 0 {
		return nil
	}
	state, _ := json.Marshal(ociStore().State(c))
	for _, h := range hooks {
		cmd := exec.Command(h.Path)
		if len(h.Args) > 0 {
			cmd.Args = h.Args
		}
		cmd.Env = h.Env
		cmd.Stdin = bytes.NewReader(state)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("hook %s: %w", h.Path, err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var timeout <-chan time.Time
		if h.Timeout != nil && *h.Timeout > 0 {
			timeout = time.After(time.Duration(*h.Timeout) * time.Second)
		}
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("hook %s: %v: %s", h.Path, err, stderr.String())
			}
		case <-timeout:
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("hook %s: timed out", h.Path)
		}
	}
	return nil
}

// ociRun is runc's run: create and start in one go; in the foreground
// (the default) kite itself is the container's process and exits with
// its status.
func ociRun(args []string) int {
	var o createOptions
	pos, err := ociFlags("run", args, defineCreate(&o, true))
	if err != nil {
		return ociError(err)
	}
	id, err := oneID("run", pos)
	if err != nil {
		return ociError(err)
	}
	o.foreground = !o.detach
	spec, c, err := prepare(id, o)
	if err != nil {
		return ociError(err)
	}
	store := ociStore()
	if o.detach {
		pid, err := startInit(id, o.consoleSocket)
		if err == nil {
			err = record(c, pid, o.pidFile)
		}
		if err == nil && spec.Hooks != nil {
			err = runHooks(c, append(append(spec.Hooks.Prestart, spec.Hooks.CreateRuntime...), spec.Hooks.CreateContainer...))
		}
		if err == nil {
			err = openStartFIFO(store, c)
		}
		if err == nil && spec.Hooks != nil {
			err = runHooks(c, spec.Hooks.Poststart)
		}
		if err != nil {
			if pid > 0 {
				unix.Kill(pid, unix.SIGKILL)
			}
			store.Remove(id)
			return ociError(err)
		}
		return 0
	}
	os.Remove(store.FifoPath(id))
	if err := record(c, os.Getpid(), o.pidFile); err != nil {
		store.Remove(id)
		return ociError(err)
	}
	ro, err := containerOptions(spec)
	if err != nil {
		store.Remove(id)
		return ociError(err)
	}
	ro.debug = ociGlobal.debug
	ro.container.started = execServer(id)
	if o.consoleSocket != "" {
		if err := attachConsoleSocket(o.consoleSocket, spec.Process.ConsoleSize); err != nil {
			store.Remove(id)
			return ociError(err)
		}
	}
	if spec.Hooks != nil {
		h := spec.Hooks
		ro.container.ready = func() error {
			if err := runHooks(c, append(append(append(h.Prestart, h.CreateRuntime...), h.CreateContainer...), h.StartContainer...)); err != nil {
				return err
			}
			// poststart hooks run once the program has started; kite
			// runs them just before (the program's first instruction
			// follows at once).
			return runHooks(c, h.Poststart)
		}
	}
	code := bootContainer(ro, ociGlobal.log)
	if !o.keep {
		// The state goes before the poststop hooks, as runc's delete.
		c.Pid = 0
		store.Remove(id)
		if spec.Hooks != nil {
			runHooks(c, spec.Hooks.Poststop)
		}
	}
	return code
}

func isHelpFlag(s string) bool { return s == "-h" || s == "--help" || s == "-help" }

// isOCIRun tells runc's `run [FLAGS] ID` from kite's `run [FLAGS] --
// PROGRAM`: without "--", a runc-only flag, or a single bare id with a
// config.json in the working directory, means runc's.
func isOCIRun(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
	}
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") {
			switch name {
			case "bundle", "b", "detach", "d", "keep", "pid-file", "console-socket", "no-pivot", "no-new-keyring", "preserve-fds", "no-subreaper":
				return true
			}
		}
	}
	if len(args) == 1 && !strings.HasPrefix(args[0], "-") && !strings.Contains(args[0], "/") {
		if _, err := os.Stat("config.json"); err == nil {
			return true
		}
	}
	return false
}

// execServer is containerConfig.started for container id: it serves
// kite exec on the container's exec socket while kite runs.
func execServer(id string) func(*containerKernel) func() {
	return func(ck *containerKernel) func() {
		stop, err := serveExec(id, ck)
		if err != nil {
			ociError(fmt.Errorf("exec socket: %w", err))
			return func() {}
		}
		return stop
	}
}
