package proc

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// nsLink is /proc/PID/ns/KIND: a magic link to the namespace's nsfs file.
type nsLink struct {
	base
	proc NamespaceProcess
	p    Process
	kind string
}

// Stat implements vfs.Inode.
func (l *nsLink) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(l.p)
	return l.stat(unix.S_IFLNK|0o777, uid, gid, 1), nil
}

// GetLink implements vfs.MagicLink.
func (l *nsLink) GetLink(ctx vfs.Context) (vfs.Path, error) {
	if !mayInspect(ctx, l.p) {
		return vfs.Path{}, unix.EACCES
	}
	p, _, err := l.proc.NamespaceLink(ctx, l.kind)
	return p, err
}

// Readlink implements vfs.Inode.
func (l *nsLink) Readlink(ctx vfs.Context) (string, error) {
	if !mayInspect(ctx, l.p) {
		return "", unix.EACCES
	}
	_, text, err := l.proc.NamespaceLink(ctx, l.kind)
	return text, err
}

// namespaceFiles adds /proc/PID/ns and the user namespace files uid_map,
// gid_map and setgroups of p to kids.
func (fs *Filesystem) namespaceFiles(p Process, kids map[string]vfs.Inode) {
	if np, ok := p.(NamespaceProcess); ok {
		links := make(map[string]vfs.Inode)
		for _, k := range np.NamespaceKinds() {
			links[k] = &nsLink{base: fs.newBase(), proc: np, p: p, kind: k}
		}
		kids["ns"] = fs.newDir(p, links)
	}
	if tp, ok := p.(TimeNamespaceProcess); ok {
		d := fs.newData(p, 0o644, func(vfs.Context) ([]byte, error) { return tp.TimensOffsets(), nil })
		d.write = func(ctx vfs.Context, src []byte) (int, error) {
			if err := tp.SetTimensOffsets(ctx, string(src)); err != nil {
				return 0, err
			}
			return len(src), nil
		}
		kids["timens_offsets"] = d
	}
	if cp, ok := p.(CgroupProcess); ok {
		kids["cgroup"] = fs.newData(p, 0o444, func(vfs.Context) ([]byte, error) { return cp.Cgroups(), nil })
	}
	idMap := func(gid bool) *dataFile {
		d := fs.newData(p, 0o644, func(ctx vfs.Context) ([]byte, error) {
			c := p.Credentials()
			if c == nil {
				return nil, unix.ESRCH
			}
			return []byte(c.UserNamespace.MapText(ctx.Credentials().UserNamespace, gid)), nil
		})
		// The map is checked against the opener's credentials as well
		// as the writer's (Linux's map_write and new_idmap_permitted).
		d.writeOpened = func(ctx vfs.Context, opener *auth.Credentials, src []byte) (int, error) {
			c := p.Credentials()
			if c == nil {
				return 0, unix.ESRCH
			}
			if err := c.UserNamespace.WriteMap(ctx.Credentials(), opener, string(src), gid); err != nil {
				return 0, err
			}
			return len(src), nil
		}
		return d
	}
	kids["uid_map"] = idMap(false)
	kids["gid_map"] = idMap(true)
	sg := fs.newData(p, 0o644, func(ctx vfs.Context) ([]byte, error) {
		c := p.Credentials()
		if c == nil {
			return nil, unix.ESRCH
		}
		return []byte(c.UserNamespace.SetgroupsText()), nil
	})
	sg.write = func(ctx vfs.Context, src []byte) (int, error) {
		c := p.Credentials()
		if c == nil {
			return 0, unix.ESRCH
		}
		if err := c.UserNamespace.WriteSetgroups(ctx.Credentials(), string(src)); err != nil {
			return 0, err
		}
		return len(src), nil
	}
	// Opening it for writing needs CAP_SYS_ADMIN over the process's
	// user namespace (EACCES), as Linux's proc_setgroups_open.
	sg.openWrite = func(ctx vfs.Context) error {
		c := p.Credentials()
		if c == nil {
			return unix.ESRCH
		}
		if !ctx.Credentials().HasCapabilityIn(unix.CAP_SYS_ADMIN, c.UserNamespace) {
			return unix.EACCES
		}
		return nil
	}
	kids["setgroups"] = sg
}

// ipcFiles adds /proc/sysvipc and the IPC limits of /proc/sys/kernel.
func (fs *Filesystem) ipcFiles(ii IPCInfo, kids, kernel map[string]vfs.Inode) {
	sysv := make(map[string]vfs.Inode)
	for _, kind := range []string{"shm", "sem", "msg"} {
		sysv[kind] = fs.newData(nil, 0o444, func(ctx vfs.Context) ([]byte, error) {
			return []byte(ii.SysVIPCText(ctx, kind)), nil
		})
	}
	kids["sysvipc"] = fs.newDir(nil, sysv)
	for _, name := range ii.IPCLimitNames() {
		d := fs.newData(nil, 0o644, func(ctx vfs.Context) ([]byte, error) {
			return []byte(ii.IPCLimit(ctx, name)), nil
		})
		d.write = func(ctx vfs.Context, src []byte) (int, error) {
			if err := ii.SetIPCLimit(ctx, name, string(src)); err != nil {
				return 0, err
			}
			return len(src), nil
		}
		kernel[name] = &ipcLimitFile{dataFile: d, ii: ii}
	}
}

// ipcLimitFile is an IPC limit of /proc/sys/kernel. As Linux's
// ipc_permissions, it belongs to root of the user namespace that owns
// the caller's IPC namespace, and its mode bits are applied by effective
// ids alone: that root may write it, other users (whatever their
// capabilities) only read it.
type ipcLimitFile struct {
	*dataFile
	ii IPCInfo
}

// Stat implements vfs.Inode.
func (f *ipcLimitFile) Stat(ctx vfs.Context) (vfs.Stat, error) {
	uid, gid := f.ii.IPCLimitOwner(ctx)
	return f.stat(unix.S_IFREG|f.mode, uid, gid, 1), nil
}

// Permission implements vfs.PermissionChecker.
func (f *ipcLimitFile) Permission(ctx vfs.Context, want int) error {
	uid, gid := f.ii.IPCLimitOwner(ctx)
	return sysctlPermission(ctx.Credentials(), f.mode, ctx.Credentials().EffectiveUID == uid, gid, want)
}
