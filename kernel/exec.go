package kernel

import (
	"path"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/auth/landlock"
	"github.com/kite-os/kite/loader"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

// Execve replaces the task's program image with filename, as execve(2).
// dirfd-relative resolution (execveat) starts at start; a zero Path means
// the working directory. On error the old image is intact.
func (t *Task) Execve(start vfs.Path, filename string, argv, envv []string, flags int) error {
	if filename == "" && flags&unix.AT_EMPTY_PATH == 0 {
		return unix.ENOENT
	}
	if err := t.checkNprocAtExec(); err != nil {
		return err
	}
	execfn := filename
	for depth := 0; ; depth++ {
		f, st, err := t.openExecutable(start, filename, flags)
		if err != nil {
			return err
		}
		script, err := loader.ParseScript(f, st.Size)
		if err != nil {
			f.DecRef(t)
			return err
		}
		if script != nil {
			f.DecRef(t)
			if err := loader.CheckInterpreterDepth(depth + 1); err != nil {
				return err
			}
			argv = script.Argv(filename, argv)
			filename, start, flags = script.Interp, vfs.Path{}, 0
			continue
		}
		err = t.execImage(f, st, filename, execfn, argv, envv)
		f.DecRef(t)
		return err
	}
}

// openExecutable opens filename for execution: a regular file the caller
// may execute, on a mount that allows it.
func (t *Task) openExecutable(start vfs.Path, filename string, flags int) (*vfs.File, vfs.Stat, error) {
	fsc := t.FSContext()
	if !start.Ok() {
		start = fsc.Cwd()
	}
	oflags := unix.O_RDONLY
	if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
		oflags |= unix.O_NOFOLLOW
	}
	var f *vfs.File
	var err error
	if filename == "" {
		f, err = t.k.vfs.OpenPath(t, start, oflags)
	} else {
		f, err = t.k.vfs.OpenAt(t, fsc, start, filename, oflags, 0)
	}
	if err != nil {
		return nil, vfs.Stat{}, err
	}
	st, err := f.Stat(t)
	if err != nil {
		f.DecRef(t)
		return nil, vfs.Stat{}, err
	}
	if st.Type() != unix.S_IFREG {
		f.DecRef(t)
		return nil, vfs.Stat{}, unix.EACCES
	}
	if m := f.Path().Mount; m != nil && m.Flags()&vfs.MountNoExec != 0 {
		f.DecRef(t)
		return nil, vfs.Stat{}, unix.EACCES
	}
	if !t.Credentials().CheckPermission(st.Mode&0o7777, st.UID, st.GID, false, auth.MayExec) ||
		t.k.vfs.CheckLandlock(t, f.Path(), landlock.AccessFSExecute) != nil {
		f.DecRef(t)
		return nil, vfs.Stat{}, unix.EACCES
	}
	return f, st, nil
}

// execImage loads the ELF image f and, once that succeeded, replaces the
// task's program with it.
func (t *Task) execImage(f *vfs.File, st vfs.Stat, filename, execfn string, argv, envv []string) error {
	oldCreds := t.Credentials()
	creds, secure, err := oldCreds.Exec(t.execArgs(f, st))
	if err != nil {
		return err
	}
	if err := t.k.vfs.DenyWriteAccess(f); err != nil {
		return err
	}
	m, err := mm.NewMemoryManager(t.k.mf, t.k.platform)
	if err != nil {
		t.k.vfs.AllowWriteAccess(f.Inode())
		return err
	}
	stackLimit := t.tg.limits.Get(unix.RLIMIT_STACK).Cur
	m.SetStackLimit(stackLimit)
	var mapVDSO func(m *mm.MemoryManager) (uintptr, error)
	if v := t.k.vdso; v != nil {
		// The new image runs in the time namespace for children
		// (enterTimeNamespaceForChildren below).
		var timens *TimeNamespace
		if ns := t.Namespaces(); ns != nil {
			timens = ns.TimeChildren
		}
		mapVDSO = func(m *mm.MemoryManager) (uintptr, error) { return v.mapInto(m, timens) }
	}
	img, err := loader.Load(m, f, st.Size, loader.LoadArgs{
		Argv:            argv,
		Envv:            envv,
		ExecFn:          execfn,
		StackLimit:      stackLimit,
		MaxAddress:      t.k.platform.MaxUserAddress(),
		UID:             creds.UserNamespace.UIDOf(creds.RealUID),
		EUID:            creds.UserNamespace.UIDOf(creds.EffectiveUID),
		GID:             creds.UserNamespace.GIDOf(creds.RealGID),
		EGID:            creds.UserNamespace.GIDOf(creds.EffectiveGID),
		Secure:          secure,
		OpenInterpreter: t.openInterpreter,
		MapVDSO:         mapVDSO,
		RSeqFeatureSize: rseqAux(t.k.rseq, RSeqFeatureSize),
		RSeqAlign:       rseqAux(t.k.rseq, RSeqAlign),
	})
	if err != nil {
		m.Release()
		t.k.vfs.AllowWriteAccess(f.Inode())
		return err
	}

	// Past the point of no return: the other threads die, the task takes
	// the leader's place, and the new image is installed. The old image's
	// robust futexes are released first, as Linux's exec_mm_release.
	oldTID, nr := t.tid, t.regs.Orig_rax
	t.killOtherThreads()
	if head, _ := t.RobustList(); head != 0 && t.mm != nil {
		t.k.futex.ExitRobustList(t.mm, head, t.TID())
	}
	t.k.futex.ExitPIState(t.tid, nil)
	t.tg.stopPosixTimers()
	t.installCreds(creds)
	dumpable := 1
	if creds.DumpabilityChanged(oldCreds) {
		dumpable = 0 // suid_dumpable
	}
	t.tg.SetDumpable(dumpable)
	if secure {
		t.SetPdeathSignal(0)
	}
	t.k.mmGet(m)
	t.mu.Lock()
	old := t.mm
	t.mm = m
	t.name = truncateComm(path.Base(filename))
	t.exe = f.Path()
	t.args = argAreaOf(img)
	t.mu.Unlock()
	if old != nil {
		t.k.mmPut(old)
	}
	t.regs = arch.NewRegisters(img.Entry, img.StackPointer)
	t.resetFPState()
	// execve unshares a shared fd table (unshare_files).
	t.UnshareFDTable()
	t.FDTable().CloseOnExec(t)
	t.tg.resetSignalHandlersForExec()
	t.enterTimeNamespaceForChildren()
	t.execMisc(secure)
	t.SetSignalStack(linux.SignalStack{Flags: linux.SS_DISABLE})
	t.clearChildTID = 0
	t.SetRobustList(0, 0)
	t.rseq = rseqState{}
	t.k.mu.Lock()
	t.tg.execed = true
	oldImage := t.tg.image
	t.tg.image = f.Inode()
	t.k.mu.Unlock()
	if oldImage != nil {
		t.k.vfs.AllowWriteAccess(oldImage)
	}
	t.closeVfork()
	t.ptraceExec(oldTID, nr)
	return nil
}

// openInterpreter opens a dynamic executable's PT_INTERP for the loader.
func (t *Task) openInterpreter(p string) (mm.File, int64, func(), error) {
	f, st, err := t.openExecutable(vfs.Path{}, p, 0)
	if err != nil {
		return nil, 0, nil, err
	}
	return f, st.Size, func() { f.DecRef(t) }, nil
}

// killOtherThreads ends every other task of the group and waits for them
// to go (de_thread); a non-leader then takes the leader's thread id.
func (t *Task) killOtherThreads() {
	k := t.k
	tg := t.tg
	for {
		tg.sigMu.Lock()
		others := make([]*Task, 0, len(tg.tasks))
		for _, o := range tg.tasks {
			if o != t {
				others = append(others, o)
			}
		}
		tg.sigMu.Unlock()
		if len(others) == 0 {
			break
		}
		for _, o := range others {
			o.mu.Lock()
			o.exiting = true
			o.mu.Unlock()
			o.interrupt()
		}
		t.SleepBegin()
		for _, o := range others {
			<-o.exitedCh
		}
		t.SleepEnd()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if tg.leader != t && tg.leader != nil {
		delete(k.tasks, t.tid)
		old := t.tid
		t.tid = tg.tgid
		k.tasks[t.tid] = t
		k.releaseIDLocked(old)
		tg.leader = t
	}
}

// resetFPState gives the task the initial FP state before it next runs.
func (t *Task) resetFPState() {
	t.mu.Lock()
	c := t.ctx
	t.mu.Unlock()
	if c != nil {
		if err := c.SetFPState(nil); err == nil {
			return
		}
	}
	t.pendingFP, t.resetFP = nil, true
}

// truncateComm cuts a command name to TASK_COMM_LEN-1 bytes.
func truncateComm(n string) string {
	if len(n) > 15 {
		return n[:15]
	}
	return n
}

// Executable returns the path of the task's program image.
func (t *Task) Executable() vfs.Path {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.exe
}

// UnshareFDTable gives t a private copy of its fd table if tasks cloned
// with CLONE_FILES share it (execve, close_range's CLOSE_RANGE_UNSHARE).
// Only t's own goroutine calls it.
func (t *Task) UnshareFDTable() {
	t.mu.Lock()
	files := t.files
	t.mu.Unlock()
	if files == nil || files.refs.Load() <= 1 {
		return
	}
	nf := newFDTableRef(files.t.Fork())
	t.mu.Lock()
	t.files = nf
	t.mu.Unlock()
	files.decRef(t)
}

// execArgs describes program file f (with attributes st) for the
// credential change of execve: its set-id bits and file capabilities,
// ignored on a nosuid mount, and the task's no_new_privs.
func (t *Task) execArgs(f *vfs.File, st vfs.Stat) auth.ExecArgs {
	a := auth.ExecArgs{NoNewPrivs: t.NoNewPrivs()}
	if m := f.Path().Mount; m != nil && m.Flags()&vfs.MountNoSUID != 0 {
		return a
	}
	a.SetUID = st.Mode&unix.S_ISUID != 0
	a.SetGID = st.Mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP
	a.UID, a.GID = st.UID, st.GID
	if x, ok := f.Inode().(vfs.XattrInode); ok {
		if b, err := x.GetXattr(t, auth.XattrCapability); err == nil {
			if fc, ok := auth.ParseFileCaps(b); ok {
				a.Caps = &fc
			}
		}
	}
	return a
}
