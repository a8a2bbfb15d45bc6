package vfs

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// FilesystemParams says which parameters a file system type takes, so that
// fsconfig(2) refuses an unknown one or a bad value when it is set, as
// Linux's fs_parameter_spec tables do. Keys are the parameter names; Check
// parses one option ("key=value", or "key" for a flag) as the type's
// mount(2) option parser does and returns its error.
type FilesystemParams struct {
	Keys  []string
	Check func(opt string) error
}

// RegisterFilesystemParams records the parameters of the registered type
// name. A type without them takes every parameter at fsconfig and checks
// them when FSCONFIG_CMD_CREATE makes the file system.
func (v *VirtualFilesystem) RegisterFilesystemParams(name string, p FilesystemParams) {
	v.regMu.Lock()
	defer v.regMu.Unlock()
	if v.fsParams == nil {
		v.fsParams = make(map[string]FilesystemParams)
	}
	v.fsParams[name] = p
}

// ParamKind is the kind of value an fsconfig(2) parameter has.
type ParamKind int

// Kinds of parameter values.
const (
	ParamFlag   ParamKind = iota // FSCONFIG_SET_FLAG: no value
	ParamString                  // FSCONFIG_SET_STRING
	ParamOther                   // a binary blob, a path or a file descriptor
)

// The phases of a mount context (Linux's fs_context_phase).
const (
	phaseCreateParams = iota
	phaseAwaitingMount
	phaseMounted
	phaseReconfParams
	phaseFailed
)

// maxContextLog is how many messages a mount context keeps (Linux's
// fc_log ring).
const maxContextLog = 8

// MountContext is the file system context behind an fsopen(2) or
// fspick(2) descriptor (Linux's fs_context): the parameters set with
// fsconfig, the file system FSCONFIG_CMD_CREATE made from them, and the
// messages that read(2) returns.
type MountContext struct {
	StreamFile
	v      *VirtualFilesystem
	fstype string
	mk     FilesystemType
	params *FilesystemParams

	// mu guards the fields below.
	mu    sync.Mutex
	phase int
	// opts are the file system's own parameters, as mount(2) options.
	opts      []string
	source    string
	hasSource bool
	// readOnly is 1 after "ro", -1 after "rw", 0 if neither was set.
	readOnly int
	// fs is the file system FSCONFIG_CMD_CREATE made.
	fs Filesystem
	// picked is the mount root fspick chose (reconfiguration).
	picked Path
	log    []string
}

// fsContextInode answers fstat of a mount context file: the inode of
// anon_inodefs.
type fsContextInode struct{ InodeDefaults }

// Stat implements Inode.
func (fsContextInode) Stat(Context) (Stat, error) {
	return Stat{Mode: 0o600, Nlink: 1, Blksize: 4096}, nil
}

// NewMountContext returns the file of a new mount context for the
// registered type fstype (fsopen). ENODEV for an unknown type.
func (v *VirtualFilesystem) NewMountContext(ctx Context, fstype string) (*File, error) {
	v.regMu.RLock()
	mk := v.fsTypes[fstype]
	var params *FilesystemParams
	if p, ok := v.fsParams[fstype]; ok {
		params = &p
	}
	v.regMu.RUnlock()
	if mk == nil {
		return nil, unix.ENODEV
	}
	mc := &MountContext{v: v, fstype: fstype, mk: mk, params: params}
	return v.NewAnonymousFile(ctx, "anon_inode:[fscontext]", fsContextInode{}, mc, unix.O_RDWR)
}

// PickMountContext returns the file of a mount context that reconfigures
// the mount whose root is at (fspick). EINVAL if at is not a mount root.
func (v *VirtualFilesystem) PickMountContext(ctx Context, at Path) (*File, error) {
	if !isMountRoot(at) {
		return nil, unix.EINVAL
	}
	mc := &MountContext{v: v, fstype: at.Mount.fs.fs.Name(), phase: phaseReconfParams, picked: at}
	return v.NewAnonymousFile(ctx, "anon_inode:[fscontext]", fsContextInode{}, mc, unix.O_RDWR)
}

// MountContextOf returns the mount context f is the file of, or nil.
func MountContextOf(f *File) *MountContext {
	mc, _ := f.ops.(*MountContext)
	return mc
}

// logLocked records an error message for read(2).
//
// Preconditions: mc.mu is held.
func (mc *MountContext) logLocked(msg string) {
	if len(mc.log) == maxContextLog {
		mc.log = mc.log[1:]
	}
	mc.log = append(mc.log, "e "+msg+"\n")
}

// invalLocked logs msg and returns EINVAL (Linux's invalf).
//
// Preconditions: mc.mu is held.
func (mc *MountContext) invalLocked(msg string) error {
	mc.logLocked(msg)
	return unix.EINVAL
}

// Superblock flag parameters Linux's vfs_parse_sb_flag takes of every
// type that kite has nothing to do for (it has no such flags to clear),
// and those it does not support.
var (
	sbFlagsCleared     = []string{"async", "nolazytime", "nomand"}
	sbFlagsUnsupported = []string{"sync", "dirsync", "lazytime", "mand"}
)

// Set sets the parameter key (fsconfig's FSCONFIG_SET_*): "ro" and "rw",
// "source", or one of the type's own. EBUSY once the context was created
// or failed; EINVAL, with a message to read, for an unknown parameter, a
// bad value, a second source or one that is not a string.
func (mc *MountContext) Set(key string, kind ParamKind, value string) error {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.phase != phaseCreateParams && mc.phase != phaseReconfParams {
		return unix.EBUSY
	}
	switch {
	case key == "ro":
		mc.readOnly = 1
		return nil
	case key == "rw":
		mc.readOnly = -1
		return nil
	case slices.Contains(sbFlagsCleared, key):
		return nil
	case slices.Contains(sbFlagsUnsupported, key):
		return mc.invalLocked(mc.fstype + ": kite does not support '" + key + "'")
	}
	if mc.params != nil && slices.Contains(mc.params.Keys, key) {
		opt := key
		if kind == ParamString {
			opt += "=" + value
		}
		if kind == ParamOther || mc.params.Check(opt) != nil {
			return mc.invalLocked(mc.fstype + ": Bad value for '" + key + "'")
		}
		if mc.phase == phaseReconfParams {
			// kite's remounts change mount flags only.
			return mc.invalLocked(mc.fstype + ": kite cannot reconfigure '" + key + "'")
		}
		// A parameter set again replaces its value.
		mc.opts = slices.DeleteFunc(mc.opts, func(o string) bool { return o == key || strings.HasPrefix(o, key+"=") })
		mc.opts = append(mc.opts, opt)
		return nil
	}
	if key == "source" {
		if kind != ParamString {
			return mc.invalLocked("Non-string source")
		}
		if mc.hasSource {
			return mc.invalLocked("Multiple sources")
		}
		mc.source, mc.hasSource = value, true
		return nil
	}
	if mc.params != nil || mc.phase == phaseReconfParams {
		return mc.invalLocked(mc.fstype + ": Unknown parameter '" + key + "'")
	}
	if kind == ParamOther {
		return mc.invalLocked(mc.fstype + ": Bad value for '" + key + "'")
	}
	opt := key
	if kind == ParamString {
		opt += "=" + value
	}
	// Linux's legacy option string holds a page at most.
	size := len(opt)
	for _, o := range mc.opts {
		size += len(o) + 1
	}
	if size > 4095 {
		return mc.invalLocked("VFS: Legacy: Cumulative options too large")
	}
	mc.opts = append(mc.opts, opt)
	return nil
}

// Create makes the file system from the parameters
// (FSCONFIG_CMD_CREATE), with mount(2)'s option parser of the type.
// EBUSY unless the context is still taking parameters for a new file
// system; EPERM if capable is false (the caller lacks CAP_SYS_ADMIN in
// its mount namespace's user namespace). A failure leaves the context
// failed.
func (mc *MountContext) Create(ctx Context, capable bool) error {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.phase != phaseCreateParams {
		return unix.EBUSY
	}
	if !capable {
		return unix.EPERM
	}
	var flags uint32
	if mc.readOnly == 1 {
		flags |= MountReadOnly
	}
	fs, err := mc.mk(ctx, mc.source, flags, strings.Join(mc.opts, ","))
	if err != nil {
		mc.phase = phaseFailed
		return err
	}
	mc.fs = fs
	mc.phase = phaseAwaitingMount
	return nil
}

// Reconfigure applies the parameters to the picked mount
// (FSCONFIG_CMD_RECONFIGURE): "ro" and "rw" make it read-only or
// writable, as kite's MS_REMOUNT does (the mount, not the file system,
// which kite has no flags for), and the context takes parameters again.
// EBUSY unless the context came from fspick and is taking parameters;
// EPERM, failing the context, without capable.
func (mc *MountContext) Reconfigure(capable bool) error {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.phase != phaseReconfParams {
		return unix.EBUSY
	}
	if !capable {
		mc.phase = phaseFailed
		return unix.EPERM
	}
	var set, clr uint32
	switch mc.readOnly {
	case 1:
		set = MountReadOnly
	case -1:
		clr = MountReadOnly
	}
	if err := mc.v.SetMountAttr(mc.picked, set, clr, 0, false); err != nil {
		mc.phase = phaseFailed
		return err
	}
	mc.readOnly, mc.source, mc.hasSource = 0, "", false
	return nil
}

// Mount mounts the file system made by Create on no mount point (fsmount)
// with MS_* flags (the read-only flag is added after "ro"): the root of a
// detached tree in an anonymous namespace owned by the owner of the
// caller's namespace. EINVAL before Create; EBUSY for a picked context,
// after a failure or for a second mount.
func (mc *MountContext) Mount(ctx Context, flags uint32, owner *MountNamespace) (*Mount, error) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.picked.Ok() {
		return nil, unix.EBUSY
	}
	if mc.fs == nil {
		return nil, unix.EINVAL
	}
	if mc.phase != phaseAwaitingMount {
		return nil, unix.EBUSY
	}
	if mc.readOnly == 1 {
		flags |= MountReadOnly
	}
	source := mc.source
	if !mc.hasSource {
		source = "none"
	}
	mc.v.mountMu.Lock()
	nsOwner := owner.owner
	mc.v.mountMu.Unlock()
	m, err := mc.v.NewDetachedMount(ctx, mc.fs, source, flags, nsOwner)
	if err != nil {
		return nil, err
	}
	mc.phase = phaseMounted
	return m, nil
}

// Read implements FileOperations: the oldest message, whole (EMSGSIZE,
// keeping it, if dst is too short); ENODATA when there is none.
func (mc *MountContext) Read(_ Context, _ *File, dst []byte, _ int64) (int, error) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if len(mc.log) == 0 {
		return 0, unix.ENODATA
	}
	msg := mc.log[0]
	if len(msg) > len(dst) {
		return 0, unix.EMSGSIZE
	}
	mc.log = mc.log[1:]
	return copy(dst, msg), nil
}
