package image

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// librarySearchPath is where the dynamic linker looks when a program has
// no run path of its own (Debian's multiarch directories first).
var librarySearchPath = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
}

// AddHostProgram copies the host program at hostPath to imagePath in the
// tree, together with its ELF interpreter and every shared library it
// needs (DT_NEEDED, transitively), each placed at the path where the
// host's dynamic linker found it. It returns the paths it added.
func (t *Tree) AddHostProgram(hostPath, imagePath string) ([]string, error) {
	var added []string
	if err := t.addHostFile(hostPath, imagePath); err != nil {
		return nil, err
	}
	added = append(added, imagePath)
	seen := map[string]bool{}
	queue := []string{hostPath}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		interp, needed, runpath, err := elfDeps(p)
		if err != nil {
			return nil, err
		}
		if interp != "" && !seen[interp] {
			seen[interp] = true
			if err := t.addHostFile(interp, interp); err != nil {
				return nil, fmt.Errorf("image: interpreter of %s: %w", p, err)
			}
			added = append(added, interp)
		}
		for _, lib := range needed {
			found := findLibrary(lib, runpath, filepath.Dir(p))
			if found == "" {
				return nil, fmt.Errorf("image: %s needs %s, which is not on the host", p, lib)
			}
			if seen[found] {
				continue
			}
			seen[found] = true
			if err := t.addHostFile(found, found); err != nil {
				return nil, err
			}
			added = append(added, found)
			queue = append(queue, found)
		}
	}
	return added, nil
}

// elfDeps reads a file's interpreter, needed libraries and run path. A
// file that is not ELF (a script) has none.
func elfDeps(p string) (interp string, needed, runpath []string, err error) {
	f, err := elf.Open(p)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return "", nil, nil, nil
		}
		return "", nil, nil, err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err != nil {
				return "", nil, nil, fmt.Errorf("image: %s: PT_INTERP: %w", p, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if f.Section(".dynamic") == nil && f.Type != elf.ET_DYN {
		return interp, nil, nil, nil
	}
	needed, _ = f.DynString(elf.DT_NEEDED)
	rp, _ := f.DynString(elf.DT_RUNPATH)
	if len(rp) == 0 {
		rp, _ = f.DynString(elf.DT_RPATH)
	}
	for _, r := range rp {
		runpath = append(runpath, strings.Split(r, ":")...)
	}
	return interp, needed, runpath, nil
}

func findLibrary(name string, runpath []string, origin string) string {
	if strings.Contains(name, "/") {
		if fileExists(name) {
			return name
		}
		return ""
	}
	dirs := make([]string, 0, len(runpath)+len(librarySearchPath))
	for _, r := range runpath {
		dirs = append(dirs, strings.ReplaceAll(strings.ReplaceAll(r, "${ORIGIN}", origin), "$ORIGIN", origin))
	}
	dirs = append(dirs, librarySearchPath...)
	for _, d := range dirs {
		if p := path.Join(d, name); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// addHostFile adds the regular file hostPath (symlinks followed) at
// imagePath, owned by root, keeping its mode and modification time.
func (t *Tree) addHostFile(hostPath, imagePath string) error {
	real, err := filepath.EvalSymlinks(hostPath)
	if err != nil {
		return err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("image: %s is not a regular file", hostPath)
	}
	st := fi.Sys().(*syscall.Stat_t)
	mt := unix.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec}
	return t.Add(imagePath, &Node{Mode: unix.S_IFREG | st.Mode&0o7777, Atime: mt, Mtime: mt,
		Size: st.Size, data: content{path: real}})
}
