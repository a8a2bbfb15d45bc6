package vfs

import "sync"

// FSContext is a process's file-system context (Linux's fs_struct): root
// directory, working directory and umask. Threads share it unless created
// without CLONE_FS.
type FSContext struct {
	// mu guards the fields below.
	mu    sync.Mutex
	root  Path
	cwd   Path
	umask uint32
}

// NewFSContext returns a context with root and cwd at root and umask 022.
func NewFSContext(root Path) *FSContext {
	return &FSContext{root: root, cwd: root, umask: 0o022}
}

// Fork returns a copy of c (fork without CLONE_FS).
func (c *FSContext) Fork() *FSContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &FSContext{root: c.root, cwd: c.cwd, umask: c.umask}
}

// Root returns the root directory.
func (c *FSContext) Root() Path {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.root
}

// SetRoot changes the root directory (chroot).
func (c *FSContext) SetRoot(p Path) {
	c.mu.Lock()
	c.root = p
	c.mu.Unlock()
}

// Cwd returns the working directory.
func (c *FSContext) Cwd() Path {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cwd
}

// SetCwd changes the working directory. The caller has checked that p is
// a directory it may search (VirtualFilesystem.Chdir does).
func (c *FSContext) SetCwd(p Path) {
	c.mu.Lock()
	c.cwd = p
	c.mu.Unlock()
}

// Umask returns the umask.
func (c *FSContext) Umask() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.umask
}

// SwapUmask sets the umask to m&0777 and returns the old one.
func (c *FSContext) SwapUmask(m uint32) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.umask
	c.umask = m & 0o777
	return old
}

// ChrootRefs moves c's root and working directory to new where they are
// old (pivot_root's chroot_fs_refs).
func (c *FSContext) ChrootRefs(old, new Path) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.root == old {
		c.root = new
	}
	if c.cwd == old {
		c.cwd = new
	}
}
