package ext4

import (
	"strings"

	"golang.org/x/sys/unix"
)

// maxSymlinkFollows bounds symlink resolution, as Linux's MAXSYMLINKS.
const maxSymlinkFollows = 40

// Walk resolves an absolute or root-relative path inside the file system
// (the image's root is "/") and returns its inode number. Symlinks in
// intermediate components are followed, and the final component's too if
// followLast is set; ".." at the root stays at the root.
func (fs *FS) Walk(path string, followLast bool) (uint32, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	follows := 0
	return fs.walk(RootIno, path, followLast, &follows)
}

func (fs *FS) walk(start uint32, path string, followLast bool, follows *int) (uint32, error) {
	cur := start
	if strings.HasPrefix(path, "/") {
		cur = RootIno
	}
	parts := strings.Split(path, "/")
	// Drop empty components so that "a//b/" walks a then b.
	comps := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			comps = append(comps, p)
		}
	}
	for i, name := range comps {
		in, err := fs.inode(cur)
		if err != nil {
			return 0, err
		}
		if !in.IsDir() {
			return 0, unix.ENOTDIR
		}
		next, err := fs.lookup(cur, name)
		if err != nil {
			return 0, err
		}
		last := i == len(comps)-1
		if !last || followLast {
			nin, err := fs.inode(next)
			if err != nil {
				return 0, err
			}
			if nin.Type() == ModeLnk {
				*follows++
				if *follows > maxSymlinkFollows {
					return 0, unix.ELOOP
				}
				target, err := fs.readlink(next)
				if err != nil {
					return 0, err
				}
				next, err = fs.walk(cur, target, true, follows)
				if err != nil {
					return 0, err
				}
			}
		}
		cur = next
	}
	return cur, nil
}
