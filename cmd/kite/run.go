package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/image"
	"github.com/kite-os/kite/net/inet"
)

func init() {
	verbs["run"] = verb{run: runMain, help: "run a Linux program under kite"}
}

const runUsage = `Usage: kite run [--rootfs DIR|IMAGE.ext4] [--rw-root | --overlay] [--disk IMAGE]... [--strace] [--platform ptrace|systrap] [--net none|host|sandbox] [--publish [IP:]HOST_PORT:PORT[/udp]]... [--debug] [-t|--tty|--no-tty] -- PROGRAM [ARGS...]

Runs PROGRAM (a path inside the root; a name without a slash is looked
up in the directories of $PATH, as a shell does) under kite. The root is DIR (default:
the host's /), passed through read-only, with a private tmpfs at /tmp,
a writable /var/tmp (the root's /var/tmp with a private in-memory layer
on top: its files are seen, writes stay in kite and are dropped at exit)
and kite's own /dev, /proc and /sys. With --overlay the directory root becomes
writable through a private in-memory layer that is dropped at exit. kite
exits with the program's exit status, or 128+N when signal N killed it.

kite passes SIGINT and SIGQUIT to the program's foreground process group
and SIGTERM and SIGHUP to its process group. A second SIGTERM or SIGHUP,
or 10 s without the program ending after the first, ends every process
(kite exits with 128+N); so does SIGINT when kite has no terminal, and
any of these signals when the kernel cannot deliver it within 2 s.

The root may also be an ext2/3/4 image file (a name ending in .ext4, or a
file with the ext4 superblock magic, as 'kite image build' makes): the
program sees the image with an in-memory layer on top, so it can write
while the image stays unchanged; with --rw-root the writes go into the
image itself, through its journal.

--disk attaches an image file as a block device: the first is /dev/vda,
the next /dev/vdb..., with the partitions of an MBR or GPT table as
/dev/vda1... (read-write when kite may write the file). Programs mount
them with mount -t ext4 /dev/vda DIR (also ext3, ext2) or mount -t vfat.

When kite's stdin is a terminal, the program gets a kite pseudo-terminal
as its controlling terminal (stdin, and stdout and stderr when they are
the terminal too): the host terminal is put in raw mode, so ^C, ^Z and
^\ become signals for the program's foreground job through kite's own
line discipline, and window-size changes follow; the host terminal is
restored when kite exits. -t/--tty does the same whatever stdin is (and
gives stdout and stderr the terminal); --no-tty passes kite's stdio
through as it is.

Flags:
`

// runOptions are the flags of `kite run`.
type runOptions struct {
	rootfs  string
	rwRoot  bool
	overlay bool
	disks   []string
	strace  bool
	// noVDSO is --vdso=false: no vDSO, every time call is a system call.
	noVDSO bool
	// rseq is --rseq: offer rseq(2) (kernel.Config.RSeq).
	rseq bool
	// memory is the sandbox's memory limit in bytes (--memory); 0 means
	// the host's RAM.
	memory   uint64
	platform string
	// network is --net: "none" (kite's stack with loopback), "host"
	// (host sockets driven by kite) or "sandbox" (kite's stack with a
	// slirp-like way out).
	network string
	// netns, with network "host", is the host network namespace (a
	// path) whose sockets the program uses; "" is kite's own.
	netns string
	// publish are --publish's forwardings into a sandbox network.
	publish []inet.Publish
	debug   bool
	ttyMode ttyMode
	argv    []string
	// env and workdir come from an image's default command (when argv
	// was empty); nil env means kite's own environment.
	env     []string
	workdir string
	// rwDirs are host directories mounted writable at the same paths
	// (`kite do --rw`), outer ones first.
	rwDirs []string
	// container, for a bundle's container, is what its config.json
	// asks beyond the fields above.
	container *containerConfig
	// rwDirRoot makes a directory root writable on the host (a
	// container's root without root.readonly, as runc's); kite run's
	// flags never set it.
	rwDirRoot bool
}

// parseRunFlags parses `kite run`'s arguments. It returns a status >= 0
// when the command must stop there (help or an error, already reported).
func parseRunFlags(args []string, stderr io.Writer) (runOptions, int) {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.rootfs, "rootfs", "/", "the root file system: a host directory or an ext4 image file")
	fs.BoolVar(&o.rwRoot, "rw-root", false, "with an image root: write into the image (through its journal) instead of a memory layer")
	fs.BoolVar(&o.overlay, "overlay", false, "with a directory root: make it writable through a private in-memory layer dropped at exit")
	fs.Func("disk", "attach an image file as the next block device /dev/vda, /dev/vdb... (repeatable)", func(s string) error {
		o.disks = append(o.disks, s)
		return nil
	})
	fs.BoolVar(&o.strace, "strace", false, "print every system call of the program on stderr")
	fs.BoolFunc("vdso", "map the vDSO (clock_gettime, gettimeofday and time without a system call); --vdso=false makes them system calls", vdsoFlag(&o))
	fs.BoolVar(&o.rseq, "rseq", false, "offer rseq(2) (else ENOSYS): per-CPU critical sections are not safe under kite, two threads can run them for one CPU at once")
	fs.Func("memory", "limit the sandbox's memory to SIZE (bytes, or with K, M, G suffixes): beyond it allocations fail and kite's OOM killer kills the biggest process", func(s string) error {
		n, err := parseMemorySize(s)
		if err != nil {
			return err
		}
		o.memory = n
		return nil
	})
	fs.StringVar(&o.platform, "platform", defaultPlatform(), "how application code runs: ptrace or systrap (default: $KITE_PLATFORM, else ptrace)")
	fs.StringVar(&o.network, "net", "none", "the sandbox's network: none (kite's own stack, loopback only), host (the host's network through sockets kite drives) or sandbox (kite's stack with eth0 10.0.2.15 whose connections kite carries to the host's network; 10.0.2.2 is the host's loopback)")
	fs.Func("publish", "with --net=sandbox: [IP:]HOST_PORT:SANDBOX_PORT[/udp] forwards the host's IP:HOST_PORT (IP 127.0.0.1 by default) to the sandbox's port (repeatable)", func(s string) error {
		p, err := parsePublish(s)
		if err != nil {
			return err
		}
		o.publish = append(o.publish, p)
		return nil
	})
	fs.BoolVar(&o.debug, "debug", false, "log kite's internal events on stderr")
	var forceTTY, noTTY bool
	fs.BoolVar(&forceTTY, "t", false, "give the program a kite terminal even when stdin is not one (as docker run -t)")
	fs.BoolVar(&forceTTY, "tty", false, "the same as -t")
	fs.BoolVar(&noTTY, "no-tty", false, "pass kite's own stdio to the program even when it is a terminal")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fmt.Print(runUsage)
			fs.PrintDefaults()
			return o, 0
		}
		fmt.Fprintf(stderr, "kite run: %v\n", err)
		return o, 2
	}
	switch {
	case forceTTY && noTTY:
		fmt.Fprintln(stderr, "kite run: -t/--tty and --no-tty contradict each other")
		return o, 2
	case forceTTY:
		o.ttyMode = ttyForce
	case noTTY:
		o.ttyMode = ttyOff
	}
	o.argv = fs.Args()
	if len(o.argv) == 0 {
		// An image root may name its default command.
		if img, _ := isImageFile(o.rootfs); img {
			cfg, err := imageDefaultCommand(o.rootfs)
			if err != nil {
				fmt.Fprintf(stderr, "kite run: %v\n", err)
				return o, 2
			}
			if cfg != nil {
				o.argv, o.env, o.workdir = cfg.Cmd, cfg.Env, cfg.Workdir
			}
		}
	}
	if len(o.argv) == 0 {
		fmt.Fprintln(stderr, "kite run: missing program (usage: kite run [FLAGS] -- PROGRAM [ARGS...]; an image from a spec with [config] runs its cmd)")
		return o, 2
	}
	if o.platform != "ptrace" && o.platform != "systrap" {
		fmt.Fprintf(stderr, "kite run: unknown platform %q (available: %s)\n", o.platform, platforms)
		return o, 2
	}
	switch o.network {
	case "none", "host", "sandbox":
	default:
		fmt.Fprintf(stderr, "kite run: unknown network mode %q (available: none, host, sandbox)\n", o.network)
		return o, 2
	}
	if len(o.publish) > 0 && o.network != "sandbox" {
		fmt.Fprintln(stderr, "kite run: --publish needs --net=sandbox")
		return o, 2
	}
	return o, -1
}

// parsePublish parses --publish's [IP:]HOST_PORT:SANDBOX_PORT[/udp|/tcp]
// (an IPv6 IP in brackets).
func parsePublish(s string) (inet.Publish, error) {
	var p inet.Publish
	spec, proto, _ := strings.Cut(s, "/")
	switch proto {
	case "", "tcp":
	case "udp":
		p.UDP = true
	default:
		return p, fmt.Errorf("--publish %q: protocol must be tcp or udp", s)
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return p, fmt.Errorf("--publish %q: want [IP:]HOST_PORT:SANDBOX_PORT", s)
	}
	port, err := strconv.ParseUint(spec[i+1:], 10, 16)
	if err != nil || port == 0 {
		return p, fmt.Errorf("--publish %q: bad sandbox port", s)
	}
	p.Port = uint16(port)
	host := spec[:i]
	if !strings.Contains(host, ":") {
		host = "127.0.0.1:" + host
	}
	ap, err := netip.ParseAddrPort(host)
	if err != nil || ap.Port() == 0 {
		return p, fmt.Errorf("--publish %q: bad host address or port", s)
	}
	p.Host = ap
	return p, nil
}

// parseMemorySize parses --memory's SIZE (image.ParseSize's syntax:
// bytes, or a number with a K, M, G or T suffix in powers of 1024), at
// least 16 MiB.
func parseMemorySize(s string) (uint64, error) {
	n, err := image.ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("bad memory size %q", s)
	}
	if n < 16<<20 {
		return 0, fmt.Errorf("memory size %q is below 16M", s)
	}
	return uint64(n), nil
}

func runMain(args []string) int {
	if isOCIRun(args) {
		return ociRun(args)
	}
	o, status := parseRunFlags(args, os.Stderr)
	if status >= 0 {
		return status
	}
	level := slog.LevelWarn
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	code, err := boot(o, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kite: %s\n", describeError(o.argv[0], err))
		return code
	}
	return code
}

// describeError turns an error into kite's message: one starting the
// program reads as a shell's ("PROG: No such file or directory"), any
// other (the root, the disks, the platform) says what went wrong itself.
func describeError(prog string, err error) string {
	var pe *programError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return fmt.Sprintf("%s: %s", prog, capitalize(e.Error()))
	}
	return fmt.Sprintf("%s: %v", prog, pe.err)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// signalExit reports a program killed by sig the way a shell does and
// returns kite's exit status.
func signalExit(prog string, sig int, core bool) int {
	msg := capitalize(unix.Signal(sig).String())
	if core {
		msg += " (core dumped)"
	}
	fmt.Fprintf(os.Stderr, "kite: %s killed by signal %d (%s)\n", prog, sig, msg)
	return 128 + sig
}

// vdsoFlag parses --vdso[=BOOL] into o.noVDSO.
func vdsoFlag(o *runOptions) func(string) error {
	return func(s string) error {
		on, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		o.noVDSO = !on
		return nil
	}
}
