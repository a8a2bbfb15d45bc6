package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func diskFile(t *testing.T, data []byte) *blockDev {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &blockDev{file: f, size: int64(len(data))}
}

func TestScanMBR(t *testing.T) {
	disk := make([]byte, 4<<20)
	put := func(i int, typ byte, start, n uint32) {
		e := disk[446+16*i:]
		e[4] = typ
		binary.LittleEndian.PutUint32(e[8:], start)
		binary.LittleEndian.PutUint32(e[12:], n)
	}
	put(0, 0x83, 2048, 2048)
	put(2, 0x0c, 4096, 100000) // runs past the end: clipped
	disk[510], disk[511] = 0x55, 0xAA
	got, err := scanPartitions(diskFile(t, disk))
	if err != nil {
		t.Fatal(err)
	}
	want := []partition{{1, 1 << 20, 1 << 20}, {3, 2 << 20, 2 << 20}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A FAT boot sector (jump instruction where the boot flag would be
	// read) is no partition table.
	disk[446] = 0xEB
	if got, _ := scanPartitions(diskFile(t, disk)); len(got) != 0 {
		t.Errorf("boot sector read as a table: %v", got)
	}
}

func TestScanGPT(t *testing.T) {
	disk := make([]byte, 8<<20)
	disk[446+4] = 0xEE
	binary.LittleEndian.PutUint32(disk[446+8:], 1)
	binary.LittleEndian.PutUint32(disk[446+12:], 0xffffffff)
	disk[510], disk[511] = 0x55, 0xAA
	hdr := disk[512:]
	copy(hdr, "EFI PART")
	binary.LittleEndian.PutUint64(hdr[72:], 2)
	binary.LittleEndian.PutUint32(hdr[80:], 128)
	binary.LittleEndian.PutUint32(hdr[84:], 128)
	ent := func(i int, first, last uint64) {
		e := disk[1024+128*i:]
		e[0] = 0xAF // any non-zero type GUID
		binary.LittleEndian.PutUint64(e[32:], first)
		binary.LittleEndian.PutUint64(e[40:], last)
	}
	ent(0, 2048, 4095)
	ent(4, 8192, 12287)
	got, err := scanPartitions(diskFile(t, disk))
	if err != nil {
		t.Fatal(err)
	}
	want := []partition{{1, 1 << 20, 1 << 20}, {5, 4 << 20, 2 << 20}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	copy(hdr, "NOT GPT!")
	if _, err := scanPartitions(diskFile(t, disk)); err == nil {
		t.Error("protective MBR without a GPT header accepted")
	}
}
