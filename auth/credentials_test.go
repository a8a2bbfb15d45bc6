package auth

import "testing"

func TestCheckPermission(t *testing.T) {
	user := New(1000, 1000, []uint32{27})
	root := New(0, 0, nil)
	cases := []struct {
		c              *Credentials
		mode, uid, gid uint32
		dir            bool
		want           int
		ok             bool
	}{
		{user, 0o644, 1000, 1000, false, MayRead | MayWrite, true},
		{user, 0o444, 1000, 1000, false, MayWrite, false},
		{user, 0o640, 0, 27, false, MayRead, true},
		{user, 0o640, 0, 0, false, MayRead, false},
		{user, 0o604, 0, 0, false, MayRead, true},
		{user, 0o070, 1000, 1000, false, MayRead, false}, // owner class wins even if group would allow
		{root, 0o000, 1000, 1000, false, MayRead | MayWrite, true},
		{root, 0o644, 1000, 1000, false, MayExec, false},
		{root, 0o744, 1000, 1000, false, MayExec, true},
		{root, 0o000, 1000, 1000, true, MayExec, true},
	}
	for i, c := range cases {
		if got := c.c.CheckPermission(c.mode, c.uid, c.gid, c.dir, c.want); got != c.ok {
			t.Errorf("case %d: got %v want %v", i, got, c.ok)
		}
	}
}
