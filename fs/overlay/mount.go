package overlay

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Options are the mount options of an overlay, as Linux's.
type Options struct {
	// LowerDirs are the lower directories, top first (lowerdir=a:b).
	LowerDirs []string
	// UpperDir and WorkDir are the upper directory and the work
	// directory Linux requires beside it (kite's overlay does not need
	// one, but checks it as Linux does).
	UpperDir, WorkDir string
}

// ParseOptions parses an overlay's mount options. Linux's options that
// select behaviour kite's overlay has (redirect_dir=off, index=off,
// metacopy=off, xino=off/auto, nfs_export=off, volatile) are accepted;
// other values and unknown options are EINVAL.
func ParseOptions(data string) (Options, error) {
	var o Options
	for _, opt := range splitEscaped(data, ',') {
		if opt == "" {
			continue
		}
		key, val, _ := strings.Cut(opt, "=")
		switch key {
		case "lowerdir":
			for _, d := range splitEscaped(val, ':') {
				if d == "" {
					return o, unix.EINVAL
				}
				o.LowerDirs = append(o.LowerDirs, unescape(d))
			}
		case "upperdir":
			o.UpperDir = unescape(val)
		case "workdir":
			o.WorkDir = unescape(val)
		case "redirect_dir":
			if val != "off" && val != "nofollow" {
				return o, unix.EINVAL
			}
		case "index", "metacopy", "nfs_export":
			if val != "off" {
				return o, unix.EINVAL
			}
		case "xino":
			if val != "off" && val != "auto" {
				return o, unix.EINVAL
			}
		case "volatile":
			if val != "" {
				return o, unix.EINVAL
			}
		default:
			return o, unix.EINVAL
		}
	}
	if len(o.LowerDirs) == 0 {
		return o, unix.EINVAL
	}
	if o.UpperDir != "" && o.WorkDir == "" {
		return o, unix.EINVAL
	}
	return o, nil
}

// splitEscaped splits s at sep, except where sep is escaped with '\'.
func splitEscaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescape drops the '\' before escaped characters.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// RegisterType makes "overlay" mountable with mount(2) in v: mount -t
// overlay -o lowerdir=L1:L2,upperdir=U,workdir=W overlay M. The
// directories are resolved from the caller's working directory and root.
// Without upperdir the overlay is read-only.
func RegisterType(v *vfs.VirtualFilesystem) {
	v.RegisterFilesystemType("overlay", func(ctx vfs.Context, _ string, _ uint32, data string) (vfs.Filesystem, error) {
		opts, err := ParseOptions(data)
		if err != nil {
			return nil, err
		}
		// The directories resolve as the caller sees them.
		fsc := ctx.FSContext()
		if fsc == nil {
			return nil, unix.EINVAL
		}
		return mountOverlay(ctx, v, fsc, opts)
	})
}

// mountOverlay resolves opts' directories in fsc and makes the overlay.
func mountOverlay(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, opts Options) (*Filesystem, error) {
	dir := func(name string) (vfs.Path, error) {
		p, err := v.GetPath(ctx, fsc, fsc.Cwd(), name, true)
		if err != nil {
			return vfs.Path{}, err
		}
		if !p.Dentry.IsDir() {
			return vfs.Path{}, unix.ENOTDIR
		}
		return p, nil
	}
	var lowers []Layer
	for _, name := range opts.LowerDirs {
		p, err := dir(name)
		if err != nil {
			return nil, err
		}
		lowers = append(lowers, Layer{FS: p.Dentry.Filesystem(), Dir: p.Dentry.Inode()})
	}
	if opts.UpperDir == "" {
		return NewLayers(ctx, v, lowers, nil, false)
	}
	up, err := dir(opts.UpperDir)
	if err != nil {
		return nil, err
	}
	work, err := dir(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	if up.Mount.ReadOnly() || up.Mount != work.Mount {
		return nil, unix.EINVAL
	}
	// The two must be separate subtrees.
	un := strings.TrimSuffix(v.PathName(fsc.Root(), up), "/") + "/"
	wn := strings.TrimSuffix(v.PathName(fsc.Root(), work), "/") + "/"
	if strings.HasPrefix(un, wn) || strings.HasPrefix(wn, un) {
		return nil, unix.EINVAL
	}
	return NewLayers(ctx, v, lowers, &Layer{FS: up.Dentry.Filesystem(), Dir: up.Dentry.Inode()}, false)
}
