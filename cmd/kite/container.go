package main

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/bpf"
	"github.com/kite-os/kite/fs/hostfs"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/oci"
	"github.com/kite-os/kite/vfs"
)

// containerConfig is what a bundle's config.json asks of kite's kernel
// beyond runOptions: boot applies it.
type containerConfig struct {
	hostname     string
	creds        *auth.Credentials
	rlimits      map[int]kernel.Limit
	umask        *uint32
	noNewPrivs   bool
	seccomp      []bpf.Instruction
	seccompFlags uint32
	mounts       []oci.Mount
	// tmpfsSize is the default limit of the bundle's tmpfs mounts
	// (boot sets it: half the memory, as kite's /tmp).
	tmpfsSize int64
	masked    []string
	readonly  []string
	// netSysctl are linux.sysctl's net.* settings: written in the
	// engine's network namespace (the only ones kite applies; others
	// make the container fail, as a sysctl runc cannot set does).
	netSysctl map[string]string
	// ipcSysctl are the IPC namespace's (kernel.msgmax: "msgmax"),
	// set in the container's first IPC namespace.
	ipcSysctl map[string]string
	// domainname is the UTS namespace's NIS domain name.
	domainname string
	maxTasks   int
	// ready runs once the container is set up, just before its program
	// starts; an error stops it (create reports it, then waits for
	// start).
	ready func() error
	// started runs once the program has started, with what an exec
	// needs of the container's kernel; the function it returns runs
	// when kite is done.
	started func(ck *containerKernel) func()
}

// RootOverlayAnnotation, set to "memory", puts a container's writable
// root under a private in-memory layer instead of writing to the host.
const RootOverlayAnnotation = "dev.kite.root-overlay"

// containerOptions turns a bundle's spec into run options.
func containerOptions(spec *oci.Spec) (runOptions, error) {
	p := spec.Process
	o := runOptions{
		rootfs:   spec.Root.Path,
		platform: defaultPlatform(),
		argv:     p.Args,
		env:      append([]string{}, p.Env...),
		workdir:  p.Cwd,
	}
	// A writable root is written on the host, in the bundle's rootfs,
	// as runc does (podman cp, commit and a restart see the writes);
	// the annotation dev.kite.root-overlay=memory keeps the writes in
	// a private in-memory layer instead, leaving the directory as it
	// was.
	if !spec.Root.Readonly {
		switch ov := spec.Annotations[RootOverlayAnnotation]; ov {
		case "":
			o.rwDirRoot = true
		case "memory":
			o.overlay = true
		default:
			return o, fmt.Errorf("annotation %s=%q: kite knows only \"memory\"", RootOverlayAnnotation, ov)
		}
	}
	c := &containerConfig{hostname: spec.Hostname, domainname: spec.Domainname, umask: p.User.Umask, noNewPrivs: p.NoNewPrivileges, mounts: spec.Mounts}
	creds := auth.New(p.User.UID, p.User.GID, p.User.AdditionalGids)
	if caps := p.Capabilities; caps != nil {
		creds.BoundingCaps = auth.CapabilitySet(oci.CapabilityMask(caps.Bounding))
		creds.PermittedCaps = auth.CapabilitySet(oci.CapabilityMask(caps.Permitted))
		creds.EffectiveCaps = auth.CapabilitySet(oci.CapabilityMask(caps.Effective))
		creds.InheritableCaps = auth.CapabilitySet(oci.CapabilityMask(caps.Inheritable))
		creds.AmbientCaps = auth.CapabilitySet(oci.CapabilityMask(caps.Ambient))
	}
	c.creds = creds
	if len(p.Rlimits) > 0 {
		c.rlimits = map[int]kernel.Limit{}
		for _, rl := range p.Rlimits {
			r, err := oci.RlimitNumber(rl.Type)
			if err != nil {
				return o, err
			}
			c.rlimits[r] = kernel.Limit{Cur: rl.Soft, Max: rl.Hard}
		}
	}
	// The network: a container without a network namespace shares the
	// host's, one with a namespace path (an engine's network: podman's
	// bridge and port forwarding) gets host sockets made inside that
	// namespace, and one with a new namespace gets kite's own stack
	// with loopback only.
	o.network = "host"
	if l := spec.Linux; l != nil {
		for _, ns := range l.Namespaces {
			if ns.Type == "network" {
				o.network, o.netns = "none", ns.Path
				if ns.Path != "" {
					o.network = "host"
				}
			}
		}
	}
	if l := spec.Linux; l != nil {
		c.masked = l.MaskedPaths
		c.readonly = l.ReadonlyPaths
		if err := c.joinNamespaces(spec); err != nil {
			return o, err
		}
		if err := c.sysctls(spec); err != nil {
			return o, err
		}
		if r := l.Resources; r != nil {
			// memory.limit bounds kite's memory file, as --memory
			// does (allocations fail beyond it and kite's OOM killer
			// picks a victim); pids.limit bounds the kernel's tasks.
			if r.Memory != nil && r.Memory.Limit != nil && *r.Memory.Limit > 0 {
				o.memory = max(uint64(*r.Memory.Limit), 16<<20)
			}
			if r.Pids != nil && r.Pids.Limit > 0 {
				c.maxTasks = int(r.Pids.Limit)
			}
		}
		if l.Seccomp != nil {
			prog, err := oci.CompileSeccomp(l.Seccomp)
			if err != nil {
				return o, err
			}
			flags, err := oci.SeccompFlags(l.Seccomp)
			if err != nil {
				return o, err
			}
			c.seccomp, c.seccompFlags = prog, flags
		}
	}
	o.container = c
	return o, nil
}

// joinNamespaces honours linux.namespaces' paths other than the
// network's as far as kite can. Each kite is a kernel of its own, so a
// namespace of another kite container (a pod's infra container, named
// /proc/PID/ns/TYPE by the engine) cannot be joined: its UTS namespace
// is copied (its hostname and domain name, read from its config at
// start), and its IPC, PID or mount namespace is refused with an error
// (podman pod create --share net,uts makes pods kite can run). A path to
// kite's own host namespace (the host's) is accepted for ipc and uts as
// their absence is (kite's namespaces are its own whatever the host's);
// any other path is refused.
func (c *containerConfig) joinNamespaces(spec *oci.Spec) error {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Path == "" || ns.Type == "network" || ns.Type == "user" {
			continue
		}
		other, err := kiteContainerOf(ns.Path)
		if err != nil {
			return fmt.Errorf("%s namespace path %s: %w", ns.Type, ns.Path, err)
		}
		switch {
		case other != nil && ns.Type == "uts":
			o, err := oci.LoadSpec(other.Bundle)
			if err != nil {
				return fmt.Errorf("uts namespace of container %s: %w", other.ID, err)
			}
			if spec.Hostname != "" && spec.Hostname != o.Hostname {
				return fmt.Errorf("hostname %q given with the uts namespace of container %s, whose hostname is %q", spec.Hostname, other.ID, o.Hostname)
			}
			c.hostname, c.domainname = o.Hostname, o.Domainname
		case other != nil:
			return fmt.Errorf("%s namespace path %s: it is kite container %s's, and kite cannot share that namespace between containers (each kite is a kernel of its own); for a pod, podman pod create --share net,uts", ns.Type, ns.Path, other.ID)
		case ns.Type == "ipc" || ns.Type == "uts":
			if !sameHostNamespace(ns.Path, ns.Type) {
				return fmt.Errorf("%s namespace path %s: kite cannot join a host %s namespace other than its own", ns.Type, ns.Path, ns.Type)
			}
		default:
			return fmt.Errorf("%s namespace path %s: kite cannot join a host %s namespace", ns.Type, ns.Path, ns.Type)
		}
	}
	return nil
}

// kiteContainerOf returns the running kite container whose host process
// the namespace path /proc/PID/ns/TYPE names, or nil.
func kiteContainerOf(nsPath string) (*oci.Container, error) {
	rest, ok := strings.CutPrefix(nsPath, "/proc/")
	if !ok {
		return nil, nil
	}
	pidText, _, _ := strings.Cut(rest, "/")
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		return nil, nil
	}
	cs, err := ociStore().List()
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Pid == pid && c.Alive() {
			return c, nil
		}
	}
	return nil, nil
}

// sameHostNamespace reports whether the namespace file nsPath is kite's
// own host namespace of kind typ.
func sameHostNamespace(nsPath, typ string) bool {
	var a, b unix.Stat_t
	if unix.Stat(nsPath, &a) != nil || unix.Stat("/proc/self/ns/"+typ, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// sysctls sorts linux.sysctl by namespace with runc's rules: net.*
// needs a network namespace (kite has no check for the host's: an
// engine's network=host leaves the entry out), kernel.msg*, sem, shm*
// and fs.mqueue.* an IPC one, kernel.domainname a UTS one; kernel.hostname
// is refused for the hostname field, and any other sysctl is not
// namespaced. kite applies the IPC limits its /proc/sys/kernel has (all
// eight) and refuses fs.mqueue.* (its /proc/sys/fs/mqueue is not
// writable).
func (c *containerConfig) sysctls(spec *oci.Spec) error {
	has := map[string]bool{}
	for _, ns := range spec.Linux.Namespaces {
		has[ns.Type] = true
	}
	for key, value := range spec.Linux.Sysctl {
		if strings.HasPrefix(key, "net.") {
			if c.netSysctl == nil {
				c.netSysctl = map[string]string{}
			}
			c.netSysctl[key] = value
			continue
		}
		if name, ok := strings.CutPrefix(key, "kernel."); ok && slices.Contains(ipc.LimitNames(), name) {
			if !has["ipc"] {
				return fmt.Errorf("sysctl %q is not allowed in the host's IPC namespace", key)
			}
			if c.ipcSysctl == nil {
				c.ipcSysctl = map[string]string{}
			}
			c.ipcSysctl[name] = value
			continue
		}
		switch {
		case strings.HasPrefix(key, "fs.mqueue."):
			if !has["ipc"] {
				return fmt.Errorf("sysctl %q is not allowed in the host's IPC namespace", key)
			}
			return fmt.Errorf("sysctl %q: kite's /proc/sys/fs/mqueue files are not writable", key)
		case key == "kernel.domainname" && has["uts"]:
			if spec.Domainname != "" && spec.Domainname != value {
				return fmt.Errorf("sysctl %q=%q conflicts with the domainname field %q", key, value, spec.Domainname)
			}
			c.domainname = value
		case key == "kernel.hostname" && has["uts"]:
			return fmt.Errorf("sysctl %q is not allowed as it conflicts with the OCI \"hostname\" field", key)
		default:
			return fmt.Errorf("sysctl %q is not in a separate kernel namespace", key)
		}
	}
	return nil
}

// tmpfsOption are the options of a bundle's tmpfs mount that are the
// file system's own (tmpfs.ParseOptions).
var tmpfsOption = map[string]bool{"mode": true, "size": true, "nr_inodes": true, "uid": true, "gid": true}

// kiteMounts are the destinations where kite mounts its own file systems
// whatever the bundle says: its /proc, /sys, /dev, /dev/pts and /dev/shm
// stand for the bundle's proc, sysfs, devtmpfs, devpts and shm mounts.
var kiteMounts = map[string]bool{"/proc": true, "/sys": true, "/dev": true, "/dev/pts": true, "/dev/shm": true, "/tmp": false}

// mount applies the bundle's mounts that kite's own do not stand for:
// tmpfs file systems, and bind mounts of host directories and host
// files (read-write unless the mount has the "ro" option). mqueue and
// cgroup mounts are left out (kite has neither file system yet).
func (c *containerConfig) mount(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, root vfs.Path, writableRoot bool) error {
	for _, m := range c.mounts {
		dst := path.Clean(m.Destination)
		if kiteMounts[dst] {
			continue
		}
		bind := m.Type == "bind"
		for _, opt := range m.Options {
			if opt == "bind" || opt == "rbind" {
				bind = true
			}
		}
		switch {
		case bind:
			st, err := os.Stat(m.Source)
			if err != nil {
				return fmt.Errorf("mount %s: %w", m.Destination, err)
			}
			ro := slices.Contains(m.Options, "ro")
			flags := uint32(vfs.MountNoDev)
			if ro {
				flags |= vfs.MountReadOnly
			}
			if slices.Contains(m.Options, "nosuid") {
				flags |= vfs.MountNoSUID
			}
			if slices.Contains(m.Options, "noexec") {
				flags |= vfs.MountNoExec
			}
			if !st.IsDir() {
				// A host file (an engine's /etc/hosts, resolv.conf)
				// is bound over a file, made empty in a writable
				// root if missing, as runc does; a read-only root
				// without the file goes without it.
				fs, err := hostfs.NewFile(m.Source, !ro)
				if err != nil {
					return fmt.Errorf("mount %s: %w", m.Destination, err)
				}
				if err := mountFileAt(ctx, v, fsc, root, dst, fs, flags, writableRoot); err != nil {
					return err
				}
				continue
			}
			newFS := hostfs.NewWritable
			if ro {
				newFS = hostfs.New
			}
			fs, err := newFS(m.Source)
			if err != nil {
				return fmt.Errorf("mount %s: %w", m.Destination, err)
			}
			if err := mountAt(ctx, v, fsc, root, dst, fs, flags, writableRoot); err != nil {
				return err
			}
		case m.Type == "tmpfs":
			// The tmpfs options (mode=, size=, nr_inodes=, uid=,
			// gid=) make the file system as mount(2) would, with
			// the default limits of half the memory; the others
			// (nosuid, nodev, ...) are the mount's.
			flags := uint32(0)
			var data []string
			for _, opt := range m.Options {
				if k, _, _ := strings.Cut(opt, "="); tmpfsOption[k] {
					data = append(data, opt)
				}
				if opt == "ro" {
					flags |= vfs.MountReadOnly
				}
			}
			fs, err := tmpfs.NewFromData(v, strings.Join(data, ","), c.tmpfsSize)
			if err != nil {
				return fmt.Errorf("mount %s: tmpfs options %q: %w", m.Destination, strings.Join(data, ","), err)
			}
			if err := mountAt(ctx, v, fsc, root, dst, fs, flags, writableRoot); err != nil {
				return err
			}
		}
	}
	// Read-only paths are bound onto themselves read-only, as runc
	// does; missing ones are skipped.
	for _, p := range c.readonly {
		at, err := v.GetPath(ctx, fsc, root, p, true)
		if err != nil {
			continue
		}
		if err := v.BindMount(ctx, at, at); err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
		if at, err = v.GetPath(ctx, fsc, root, p, true); err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
		v.SetMountFlags(at.Mount, at.Mount.Flags()|vfs.MountReadOnly|vfs.MountNoSUID|vfs.MountNoDev|vfs.MountNoExec)
	}
	// Masked directories get an empty read-only tmpfs over them, as
	// runc does; masked files (kite's /proc shows few of them) stay.
	for _, p := range c.masked {
		at, err := v.GetPath(ctx, fsc, root, p, true)
		if err != nil {
			continue
		}
		st, err := v.StatPath(ctx, at)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			if err := v.Mount(ctx, at, tmpfs.New(v, tmpfs.Options{Mode: 0o755}), vfs.MountReadOnly); err != nil {
				return fmt.Errorf("masking %s: %w", p, err)
			}
		}
	}
	return nil
}

// mountAt mounts fs at dst, making the directory in a writable root if
// it is missing.
func mountAt(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, root vfs.Path, dst string, fs vfs.Filesystem, flags uint32, writableRoot bool) error {
	at, err := v.GetPath(ctx, fsc, root, dst, true)
	if err == unix.ENOENT && writableRoot {
		if err = mkdirAll(ctx, v, fsc, root, dst); err == nil {
			at, err = v.GetPath(ctx, fsc, root, dst, true)
		}
	}
	if err != nil {
		return fmt.Errorf("mount point %s: %w", dst, err)
	}
	if err := v.Mount(ctx, at, fs, flags); err != nil {
		return fmt.Errorf("mounting %s: %w", dst, err)
	}
	return nil
}

// mkdirAll makes dst and its missing parents in kite's tree.
func mkdirAll(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, root vfs.Path, dst string) error {
	cur := ""
	for _, part := range strings.Split(strings.Trim(dst, "/"), "/") {
		cur += "/" + part
		if err := v.MkdirAt(ctx, fsc, root, cur, 0o755); err != nil && err != unix.EEXIST {
			return err
		}
	}
	return nil
}

// mountFileAt mounts fs, whose root is a file, on the file dst, making
// it empty in a writable root if it is missing; a read-only root without
// it is left without the mount.
func mountFileAt(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, root vfs.Path, dst string, fs vfs.Filesystem, flags uint32, writableRoot bool) error {
	at, err := v.GetPath(ctx, fsc, root, dst, true)
	if err == unix.ENOENT {
		if !writableRoot {
			return nil
		}
		if err = mkdirAll(ctx, v, fsc, root, path.Dir(dst)); err == nil {
			var f *vfs.File
			if f, err = v.OpenAt(ctx, fsc, root, dst, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o644); err == nil {
				f.DecRef(ctx)
				at, err = v.GetPath(ctx, fsc, root, dst, true)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("mount point %s: %w", dst, err)
	}
	if err := v.Mount(ctx, at, fs, flags); err != nil {
		return fmt.Errorf("mounting %s: %w", dst, err)
	}
	return nil
}
