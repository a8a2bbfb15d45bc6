package vfs

// Hooks for package ipc's epoll instances, which watch files without
// holding references to them, as Linux's do.

// Released reports whether the last reference to f has been dropped. An
// epoll instance forgets the files it finds released, as Linux removes a
// file from every interest list when the file is released.
func (f *File) Released() bool { return f.refs.Load() <= 0 }

// RefCount returns the number of references to f (the AF_UNIX garbage
// collector compares it with the references in flight in messages).
func (f *File) RefCount() int64 { return f.refs.Load() }
