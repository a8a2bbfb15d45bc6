package tmpfs

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// RegisterType makes "tmpfs" mountable with mount(2) in v.
func RegisterType(v *vfs.VirtualFilesystem) {
	v.RegisterFilesystemType("tmpfs", func(ctx vfs.Context, _ string, _ uint32, data string) (vfs.Filesystem, error) {
		opts, err := ParseOptions(data)
		if err != nil {
			return nil, err
		}
		return New(v, opts), nil
	})
	v.RegisterFilesystemParams("tmpfs", vfs.FilesystemParams{
		Keys: []string{"mode", "uid", "gid", "size", "nr_inodes"},
		Check: func(opt string) error {
			_, err := ParseOptions(opt)
			return err
		},
	})
}

// ParseOptions parses tmpfs mount options: mode=, uid=, gid=, size=
// (bytes with k, m, g suffixes), nr_inodes=; EINVAL for anything else.
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
