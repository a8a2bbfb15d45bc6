package image

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "4096": 4096, "64K": 64 << 10, "64KiB": 64 << 10,
		"512M": 512 << 20, "2G": 2 << 30, "1T": 1 << 40, "3MB": 3 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1X", "G", "99999999999T"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}

func TestParseUUIDOwner(t *testing.T) {
	u, err := ParseUUID("0b6c5e2a-2f1c-4d3b-9a8e-1c2d3e4f5a6b")
	if err != nil || u[0] != 0x0b || u[15] != 0x6b {
		t.Errorf("ParseUUID = %x, %v", u, err)
	}
	for _, bad := range []string{"", "0b6c5e2a2f1c4d3b9a8e1c2d3e4f5a6b", "0b6c5e2a-2f1c-4d3b-9a8e-1c2d3e4f5a6g"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) succeeded", bad)
		}
	}
	if o, err := ParseOwner("0:100"); err != nil || o != [2]uint32{0, 100} {
		t.Errorf("ParseOwner = %v, %v", o, err)
	}
	if _, err := ParseOwner("root"); err == nil {
		t.Error("ParseOwner(root) succeeded")
	}
}
