package tmpfs

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// RegisterType makes "tmpfs" mountable with mount(2) in v, without a
// size limit unless the mount asks for one.
func RegisterType(v *vfs.VirtualFilesystem) { RegisterTypeSized(v, 0) }

// RegisterTypeSized makes "tmpfs" mountable with mount(2) in v; a mount
// without size= holds at most defaultSize bytes and one without
// nr_inodes= at most defaultSize/4096 inodes (0: no limit), as Linux
// limits them to half of the memory's pages. size=0 and nr_inodes=0
// still mean no limit.
func RegisterTypeSized(v *vfs.VirtualFilesystem, defaultSize int64) {
	v.RegisterFilesystemType("tmpfs", func(ctx vfs.Context, _ string, _ uint32, data string) (vfs.Filesystem, error) {
		return NewFromData(v, data, defaultSize)
	})
	v.RegisterFilesystemParams("tmpfs", vfs.FilesystemParams{
		Keys: []string{"mode", "uid", "gid", "size", "nr_inodes"},
		Check: func(opt string) error {
			_, err := ParseOptions(opt)
			return err
		},
	})
}

// NewFromData makes a tmpfs from mount(2)'s options data as a mount of
// type tmpfs does: a limit data does not set (size=, nr_inodes=) is
// defaultSize bytes and defaultSize/4096 inodes (0: no limit), as
// Linux's default of half the memory.
func NewFromData(v *vfs.VirtualFilesystem, data string, defaultSize int64) (*Filesystem, error) {
	opts, err := ParseOptions(data)
	if err != nil {
		return nil, err
	}
	if !hasOption(data, "size") {
		opts.MaxBytes = defaultSize &^ (pageSize - 1)
	} else if opts.SizePercent > 0 && defaultSize > 0 {
		// defaultSize is half the memory.
		memory, pct := uint64(defaultSize)*2, uint64(opts.SizePercent)
		share := memory / 100 * pct
		if memory < 1<<50 && pct < 1<<13 {
			share = memory * pct / 100 // exact where it cannot overflow
		}
		opts.MaxBytes = int64(min(share, 1<<62)+pageSize-1) &^ (pageSize - 1)
	}
	if !hasOption(data, "nr_inodes") {
		opts.MaxInodes = defaultSize / pageSize
	}
	return New(v, opts), nil
}

// ParseOptions parses tmpfs mount options: mode=, uid=, gid=, size=
// (bytes with k, m, g, t, p, e suffixes, or N% of the memory),
// nr_inodes= (with the same suffixes); EINVAL for anything else.
func ParseOptions(data string) (Options, error) {
	var o Options
	for _, opt := range strings.Split(data, ",") {
		if opt == "" {
			continue
		}
		key, val, _ := strings.Cut(opt, "=")
		switch key {
		case "mode":
			n, err := strconv.ParseUint(val, 8, 32)
			if err != nil || n > 0o7777 {
				return o, unix.EINVAL
			}
			o.Mode = uint32(n)
		case "uid", "gid":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return o, unix.EINVAL
			}
			if key == "uid" {
				o.UID = uint32(n)
			} else {
				o.GID = uint32(n)
			}
		case "size", "nr_inodes":
			if p, ok := strings.CutSuffix(val, "%"); ok && key == "size" {
				// A share of the memory (NewFromData).
				n, err := strconv.ParseInt(p, 10, 64)
				if err != nil || n <= 0 || n > 1<<40 {
					return o, unix.EINVAL
				}
				o.SizePercent, o.MaxBytes = n, 0
				continue
			}
			n, err := parseSize(val)
			if err != nil {
				return o, err
			}
			if key == "size" {
				o.MaxBytes = (n + pageSize - 1) &^ (pageSize - 1)
			} else {
				o.MaxInodes = n
			}
		default:
			return o, unix.EINVAL
		}
	}
	return o, nil
}

// hasOption reports whether the mount options data set key.
func hasOption(data, key string) bool {
	for _, opt := range strings.Split(data, ",") {
		if k, _, _ := strings.Cut(opt, "="); k == key {
			return true
		}
	}
	return false
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		case 'p', 'P':
			mult = 1 << 50
		case 'e', 'E':
			mult = 1 << 60
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, unix.EINVAL
	}
	return n * mult, nil
}
