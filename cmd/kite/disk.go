package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/block"
	"github.com/kite-os/kite/fs/sys"
)

// Disks attached with `kite run --disk IMAGE` are package block's virtio
// style disks (/dev/vda, /dev/vdb... and their partitions); kite opens
// and locks the image files here.

// openImage opens an image file for kite's use: read-write with an
// exclusive lock, or read-only with a shared one, so that two kites never
// write one image at once (nor read it while another writes).
func openImage(path string, write bool) (*os.File, error) {
	mode, how := os.O_RDONLY, unix.LOCK_SH
	if write {
		mode, how = os.O_RDWR, unix.LOCK_EX
	}
	f, err := os.OpenFile(path, mode, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			return nil, fmt.Errorf("%s is in use by another program", path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return f, nil
}

// attachedDisks is the disks of a run and the image files behind them.
type attachedDisks struct {
	*block.Disks
	files []*os.File
}

// attachDisks opens the images (read-write when the file allows it) and
// attaches them.
func attachDisks(paths []string) (*attachedDisks, error) {
	if len(paths) > block.MaxDisks {
		return nil, fmt.Errorf("at most %d disks", block.MaxDisks)
	}
	a := &attachedDisks{}
	var images []block.Image
	for _, p := range paths {
		writable := true
		f, err := openImage(p, true)
		if errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EROFS) {
			writable = false
			f, err = openImage(p, false)
		}
		if err != nil {
			a.close()
			return nil, err
		}
		a.files = append(a.files, f)
		st, err := f.Stat()
		if err != nil {
			a.close()
			return nil, err
		}
		if !st.Mode().IsRegular() {
			a.close()
			return nil, fmt.Errorf("disk %s: not a regular file", p)
		}
		images = append(images, block.Image{Name: p, Backing: f, Size: st.Size(), Writable: writable})
	}
	d, err := block.Attach(images)
	if err != nil {
		a.close()
		return nil, err
	}
	a.Disks = d
	return a, nil
}

// close closes the image files.
func (a *attachedDisks) close() {
	for _, f := range a.files {
		f.Close()
	}
}

// sysDisks describes the attached disks and their partitions for /sys
// (none when a is nil).
func (a *attachedDisks) sysDisks() []sys.Disk {
	if a == nil {
		return nil
	}
	var out []sys.Disk
	for _, b := range a.Devices() {
		major, minor := unix.Major(b.Rdev), unix.Minor(b.Rdev)
		if minor%block.PartsPerDisk == 0 {
			out = append(out, sys.Disk{Name: b.Name, Major: major, Minor: minor, Size: b.Size,
				ReadOnly: !b.Writable, MinorsPerDisk: block.PartsPerDisk})
			continue
		}
		if len(out) == 0 {
			continue
		}
		d := &out[len(out)-1]
		d.Partitions = append(d.Partitions, sys.DiskPartition{Name: b.Name, Num: int(minor % block.PartsPerDisk),
			Major: major, Minor: minor, Start: b.Start(), Size: b.Size})
	}
	return out
}
