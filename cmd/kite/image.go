package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/ext4"
	"github.com/kite-os/kite/fs/fat"
	"github.com/kite-os/kite/image"
)

func init() {
	verbs["image"] = verb{run: imageMain, help: "build ext4 root file system images and read them"}
}

const imageUsage = `Usage:
  kite image build -o OUT.ext4 [--size SIZE] [--label L] [FLAGS] SPEC.toml
  kite image build -o OUT.ext4 [--size SIZE] [--label L] [FLAGS] --from DIR|TARBALL|OCI-LAYOUT[:REF]
  kite image ls IMAGE PATH
  kite image cat IMAGE PATH

build writes a fresh ext4 image from a declarative spec (base layers,
files, symlinks, directories, users and groups, host programs, the default
command; the format is in docs/image-spec.md), or from one host directory,
tarball (plain, gzip or zstd) or OCI image layout (its layers applied with their whiteouts)
without privileges or external tools. Owners, modes, times, hard
links, symlinks, device nodes and (from tarballs) xattrs are kept.
--add-program copies a host program in with its ELF interpreter and the
shared libraries it needs. The same
inputs give byte-identical images; the file system time is
$SOURCE_DATE_EPOCH, or 0.

ls lists a directory (or describes a file) inside an image; cat writes a
file's contents to standard output. Both read ext2/3/4 images (following
symlinks inside the image, replaying a journal in memory if needed) and
FAT12/16/32 images.
`

func imageMain(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "kite image: missing subcommand (build, ls or cat; see 'kite help image')")
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fmt.Print(imageUsage)
		return 0
	case "build":
		return imageBuild(args[1:])
	case "ls":
		return imageRead("ls", args[1:], imageLs)
	case "cat":
		return imageRead("cat", args[1:], imageCat)
	}
	fmt.Fprintf(os.Stderr, "kite image: unknown subcommand %q (build, ls or cat)\n", args[0])
	return 2
}

func imageBuild(args []string) int {
	fs := flag.NewFlagSet("image build", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "the image file to write (required)")
	from := fs.String("from", "", "the source: a host directory, a tarball or an OCI image layout DIR[:REF] (required)")
	size := fs.String("size", "", "image size (e.g. 512M, 2G); default: just large enough")
	label := fs.String("label", "", "volume label (at most 16 bytes)")
	uuid := fs.String("uuid", "", "file system UUID (default: derived from the tree)")
	owner := fs.String("owner", "", "make every file owned by UID:GID")
	blockSize := fs.Int("block-size", 4096, "block size: 1024, 2048 or 4096")
	free := fs.String("free", "", "extra free space when --size is not given (e.g. 100M)")
	noJournal := fs.Bool("no-journal", false, "leave out the journal")
	var programs [][2]string
	fs.Func("add-program", "copy host program HOST (at DEST, default the same path) with its shared libraries; repeatable",
		func(v string) error {
			host, dest, ok := strings.Cut(v, ":")
			if !ok {
				dest = host
			}
			if host == "" || dest == "" {
				return fmt.Errorf("want HOST[:DEST]")
			}
			programs = append(programs, [2]string{host, dest})
			return nil
		})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(imageUsage + "\nbuild flags:\n")
			fs.SetOutput(os.Stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(os.Stderr, "kite image build: %v\n", err)
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "kite image build: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 1 || fs.NArg() == 1 && *from != "" {
		return bad("want one SPEC.toml or --from SOURCE")
	}
	if *out == "" || *from == "" && fs.NArg() == 0 {
		return bad("-o OUT and SPEC.toml or --from DIR|TARBALL are required")
	}
	var spec *image.Spec
	var err error
	if fs.NArg() == 1 {
		if spec, err = image.LoadSpec(fs.Arg(0)); err != nil {
			fmt.Fprintf(os.Stderr, "kite image build: %v\n", err)
			return 1
		}
	}
	opts := image.Options{Label: *label, BlockSize: *blockSize, NoJournal: *noJournal}
	if *size != "" {
		if opts.Size, err = image.ParseSize(*size); err != nil {
			return bad("--size: %v", err)
		}
	}
	if *free != "" {
		if opts.FreeSpace, err = image.ParseSize(*free); err != nil {
			return bad("--free: %v", err)
		}
	}
	if *uuid != "" {
		if opts.UUID, err = image.ParseUUID(*uuid); err != nil {
			return bad("--uuid: %v", err)
		}
	}
	if *owner != "" {
		o, err := image.ParseOwner(*owner)
		if err != nil {
			return bad("--owner: %v", err)
		}
		opts.Owner = &o
	}
	if len(*label) > 16 {
		return bad("--label: %q is longer than 16 bytes", *label)
	}
	switch *blockSize {
	case 1024, 2048, 4096:
	default:
		return bad("--block-size: %d (want 1024, 2048 or 4096)", *blockSize)
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if opts.Time, err = strconv.ParseInt(s, 10, 64); err != nil {
			return bad("SOURCE_DATE_EPOCH=%q is not a number", s)
		}
	}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		last := time.Now()
		opts.Progress = func(done, total int) {
			if time.Since(last) > 100*time.Millisecond || done == total {
				last = time.Now()
				fmt.Fprintf(os.Stderr, "\rkite image build: %d/%d inodes", done, total)
				if done == total {
					fmt.Fprintln(os.Stderr)
				}
			}
		}
	}
	var tree *image.Tree
	if spec != nil {
		so := spec.Options(opts.Time)
		opts.Time = so.Time
		if opts.Size == 0 {
			opts.Size = so.Size
		}
		if opts.Label == "" {
			opts.Label = so.Label
		}
		if opts.UUID == ([16]byte{}) {
			opts.UUID = so.UUID
		}
		tree, err = spec.Tree(opts.Time)
	} else {
		tree, err = image.OpenSource(*from)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kite image build: %v\n", err)
		return 1
	}
	defer tree.Close()
	for _, p := range programs {
		if _, err := tree.AddHostProgram(p[0], p[1]); err != nil {
			fmt.Fprintf(os.Stderr, "kite image build: --add-program %s: %v\n", p[0], err)
			return 1
		}
	}
	if err := image.BuildFile(tree, *out, opts); err != nil {
		fmt.Fprintf(os.Stderr, "kite image build: %v\n", err)
		os.Remove(*out)
		return 1
	}
	return 0
}

// imageRead opens IMAGE and runs fn on the inode at PATH.
func imageRead(name string, args []string, fn func(e *ext4.FS, ino uint32, path string) error) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(imageUsage)
		return 0
	}
	if len(args) != 2 {
		fmt.Fprintf(os.Stderr, "kite image %s: want IMAGE PATH\n", name)
		return 2
	}
	f, err := os.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "kite image %s: %v\n", name, err)
		return 1
	}
	defer f.Close()
	e, err := ext4.Open(f, ext4.Options{})
	if err != nil {
		// Not ext4: perhaps a FAT image.
		if ffs, ferr := fat.Open(f, fat.Options{}); ferr == nil {
			if err := fatRead(name, ffs, args[1]); err != nil {
				fmt.Fprintf(os.Stderr, "kite image %s: %s: %v\n", name, args[1], err)
				return 1
			}
			return 0
		}
		fmt.Fprintf(os.Stderr, "kite image %s: %s: %v\n", name, args[0], err)
		return 1
	}
	ino, err := e.Walk(args[1], true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kite image %s: %s: %v\n", name, args[1], err)
		return 1
	}
	if err := fn(e, ino, args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "kite image %s: %s: %v\n", name, args[1], err)
		return 1
	}
	return 0
}

// fatRead carries out ls or cat on a FAT image.
func fatRead(verb string, fs *fat.FS, path string) error {
	st, err := fs.Stat(path)
	if err != nil {
		return err
	}
	line := func(e fat.DirEntry) {
		mode := "-rw-r--r--"
		if e.IsDir() {
			mode = "drwxr-xr-x"
		}
		fmt.Printf("%s %10d %s %s\n", mode, e.Size, e.Mtime.Format("2006-01-02 15:04"), e.Name)
	}
	if verb == "cat" {
		if st.IsDir() {
			return unix.EISDIR
		}
		data, err := fs.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(data)
		return err
	}
	if !st.IsDir() {
		line(st)
		return nil
	}
	ents, err := fs.ReadDir(path)
	if err != nil {
		return err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
	for _, e := range ents {
		line(e)
	}
	return nil
}

func imageCat(e *ext4.FS, ino uint32, _ string) error {
	f, err := e.OpenFile(ino)
	if err != nil {
		return err
	}
	if f.Inode().IsDir() {
		return unix.EISDIR
	}
	_, err = io.Copy(os.Stdout, io.NewSectionReader(f, 0, f.Size()))
	return err
}

func imageLs(e *ext4.FS, ino uint32, path string) error {
	in, err := e.Stat(ino)
	if err != nil {
		return err
	}
	if !in.IsDir() {
		return lsLine(e, in, path)
	}
	ents, err := e.ReadDir(ino)
	if err != nil {
		return err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
	for _, de := range ents {
		if de.Name == "." || de.Name == ".." {
			continue
		}
		cin, err := e.Stat(de.Ino)
		if err != nil {
			return fmt.Errorf("%s: %w", de.Name, err)
		}
		if err := lsLine(e, cin, de.Name); err != nil {
			return err
		}
	}
	return nil
}

// lsLine prints one `ls -l`-style line.
func lsLine(e *ext4.FS, in *ext4.Inode, name string) error {
	size := strconv.FormatUint(in.Size, 10)
	switch in.Type() {
	case ext4.ModeChr, ext4.ModeBlk:
		size = fmt.Sprintf("%d, %d", in.RdevMajor, in.RdevMinor)
	case ext4.ModeLnk:
		target, err := e.Readlink(in.Ino)
		if err != nil {
			return err
		}
		name += " -> " + target
	}
	mtime := time.Unix(in.Mtime.Sec, in.Mtime.Nsec).UTC().Format("2006-01-02 15:04")
	_, err := fmt.Printf("%s %3d %5d %5d %10s %s %s\n", modeString(in.Mode), in.Nlink, in.UID, in.GID, size, mtime, name)
	return err
}

func modeString(m uint32) string {
	types := map[uint32]byte{ext4.ModeDir: 'd', ext4.ModeLnk: 'l', ext4.ModeChr: 'c', ext4.ModeBlk: 'b',
		ext4.ModeFifo: 'p', ext4.ModeSock: 's', ext4.ModeReg: '-'}
	b := []byte("?rwxrwxrwx")
	if t, ok := types[m&ext4.ModeFmt]; ok {
		b[0] = t
	}
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	special := func(bit uint32, pos int, set, unset byte) {
		if m&bit != 0 {
			if b[pos] == '-' {
				b[pos] = unset
			} else {
				b[pos] = set
			}
		}
	}
	special(unix.S_ISUID, 3, 's', 'S')
	special(unix.S_ISGID, 6, 's', 'S')
	special(unix.S_ISVTX, 9, 't', 'T')
	return string(b)
}

// imageDefaultCommand reads the default command an image spec stored at
// image.ConfigPath in the image at path; nil if there is none.
func imageDefaultCommand(path string) (*image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	e, err := ext4.Open(f, ext4.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ino, err := e.Walk(image.ConfigPath, true)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, image.ConfigPath, err)
	}
	cf, err := e.OpenFile(ino)
	if err != nil {
		return nil, err
	}
	data, err := cf.ReadAll()
	if err != nil {
		return nil, err
	}
	cfg, err := image.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
