package net

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestPutCmsg checks put_cmsg's three cases: the message fits with its
// padding, fits without all of it (the padding is cut), or is cut
// (MSG_CTRUNC, the header's length the room's).
func TestPutCmsg(t *testing.T) {
	data := []byte{1, 2, 3, 4, 5}
	hdr := func(clen int) []byte {
		h := make([]byte, cmsgHdrLen)
		binary.LittleEndian.PutUint64(h, uint64(clen))
		binary.LittleEndian.PutUint32(h[8:], 1)
		binary.LittleEndian.PutUint32(h[12:], 2)
		return h
	}
	for _, c := range []struct {
		space int
		want  []byte
		trunc bool
	}{
		{32, append(append(hdr(21), data...), 0, 0, 0), false},
		{23, append(append(hdr(21), data...), 0, 0), false},
		{19, append(hdr(19), data[:3]...), true},
		{8, nil, true},
	} {
		var o ControlOut
		space := c.space
		o.putCmsg(&space, 1, 2, data)
		want := c.want
		if !bytes.Equal(o.Buf, want) || o.Truncated != c.trunc {
			t.Errorf("room %d: got %v (truncated %v), want %v (%v)", c.space, o.Buf, o.Truncated, want, c.trunc)
		}
		if space != c.space-len(want) {
			t.Errorf("room %d: %d left, want %d", c.space, space, c.space-len(want))
		}
	}
	if got := AppendCmsg(nil, 1, 2, data); len(got) != CmsgSpace(len(data)) {
		t.Errorf("AppendCmsg: %d bytes, want %d", len(got), CmsgSpace(len(data)))
	}
}
