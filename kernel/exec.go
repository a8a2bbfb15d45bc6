package kernel

import (
	"path"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/loader"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

// Execve replaces the task's program image with filename, as execve(2).
// On error the old image is intact.
//
// Preconditions: the task is the only task of its group (killing other
// threads comes with the threads issue), and this runs on the task's own
// goroutine or before it starts.
func (t *Task) Execve(filename string, argv, envv []string) error {
	if filename == "" {
		return unix.ENOENT
	}
	f, err := t.k.vfs.OpenAt(t, t.fsContext, t.fsContext.Cwd(), filename, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.DecRef(t)
	st, err := f.Stat(t)
	if err != nil {
		return err
	}
	if st.Type() != unix.S_IFREG {
		return unix.EACCES
	}
	if !t.creds.CheckPermission(st.Mode&0o7777, st.UID, st.GID, false, auth.MayExec) {
		return unix.EACCES
	}

	m, err := mm.NewMemoryManager(t.k.mf, t.k.platform)
	if err != nil {
		return err
	}
	stackLimit := t.tg.limits.Get(unix.RLIMIT_STACK).Cur
	m.SetStackLimit(stackLimit)
	img, err := loader.Load(m, f, int64(st.Size), loader.LoadArgs{
		Argv:       argv,
		Envv:       envv,
		ExecFn:     filename,
		StackLimit: stackLimit,
		MaxAddress: t.k.platform.MaxUserAddress(),
		UID:        t.creds.RealUID,
		EUID:       t.creds.EffectiveUID,
		GID:        t.creds.RealGID,
		EGID:       t.creds.EffectiveGID,
	})
	if err != nil {
		m.Release()
		return err
	}

	// Past the point of no return: install the new image.
	t.mu.Lock()
	old := t.mm
	t.mm = m
	t.name = truncateComm(path.Base(filename))
	t.exe = f.Path()
	t.mu.Unlock()
	if old != nil {
		old.Release()
	}
	t.regs = arch.NewRegisters(img.Entry, img.StackPointer)
	t.resetFPState()
	t.fdTable.CloseOnExec(t)
	t.tg.resetSignalHandlersForExec()
	t.SetSignalStack(linux.SignalStack{Flags: linux.SS_DISABLE})
	return nil
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
