package ext4

import "math/bits"

// Directory hash versions (s_def_hash_version, dx_root_info.hash_version).
const (
	HashLegacy          = 0
	HashHalfMD4         = 1
	HashTea             = 2
	HashLegacyUnsigned  = 3
	HashHalfMD4Unsigned = 4
	HashTeaUnsigned     = 5
	HashSipHash         = 6

	// Superblock s_flags saying how the hash reads name bytes.
	FlagsSignedHash   = 0x1
	FlagsUnsignedHash = 0x2
)

// DirHash computes the htree hash of name (Linux's ext4fs_dirhash) for a
// hash version and seed (s_hash_seed; all zero means the default seed).
// It returns the major hash (low bit clear) and the minor hash; ok is false
// for versions it does not implement (siphash, used only with casefold).
func DirHash(name []byte, version uint8, seed [4]uint32) (hash, minor uint32, ok bool) {
	buf := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	if seed != ([4]uint32{}) {
		buf = seed
	}
	unsigned := false
	switch version {
	case HashLegacyUnsigned, HashHalfMD4Unsigned, HashTeaUnsigned:
		unsigned = true
		version -= 3
	}
	switch version {
	case HashLegacy:
		hash = dxHackHash(name, unsigned)
	case HashHalfMD4:
		var in [8]uint32
		for p := name; ; p = p[32:] {
			str2hashbuf(p, in[:], unsigned)
			halfMD4Transform(&buf, &in)
			if len(p) <= 32 {
				break
			}
		}
		hash, minor = buf[1], buf[2]
	case HashTea:
		var in [4]uint32
		for p := name; ; p = p[16:] {
			str2hashbuf(p, in[:], unsigned)
			teaTransform(&buf, &in)
			if len(p) <= 16 {
				break
			}
		}
		hash, minor = buf[0], buf[1]
	default:
		return 0, 0, false
	}
	hash &^= 1
	if hash == 0x7fffffff<<1 {
		hash = (0x7fffffff - 1) << 1
	}
	return hash, minor, true
}

// nameByte reads a name byte as the C char the hash was defined with.
func nameByte(c byte, unsigned bool) uint32 {
	if unsigned {
		return uint32(c)
	}
	return uint32(int32(int8(c)))
}

func dxHackHash(name []byte, unsigned bool) uint32 {
	h0, h1 := uint32(0x12a3fe2d), uint32(0x37abe8f9)
	for _, c := range name {
		h := h1 + (h0 ^ nameByte(c, unsigned)*7152373)
		if h&0x80000000 != 0 {
			h -= 0x7fffffff
		}
		h1, h0 = h0, h
	}
	return h0 << 1
}

// str2hashbuf packs up to 4*len(out) bytes of msg into out, padded with
// the length, as Linux's str2hashbuf_{signed,unsigned}.
func str2hashbuf(msg []byte, out []uint32, unsigned bool) {
	n := uint32(len(msg))
	pad := n | n<<8
	pad |= pad << 16
	val := pad
	num := len(out)
	if len(msg) > num*4 {
		msg = msg[:num*4]
	}
	k := 0
	for i, c := range msg {
		val = nameByte(c, unsigned) + val<<8
		if i%4 == 3 {
			out[k] = val
			k++
			val = pad
		}
	}
	if k < num {
		out[k] = val
		k++
	}
	for ; k < num; k++ {
		out[k] = pad
	}
}

func halfMD4Transform(buf *[4]uint32, in *[8]uint32) {
	const k2, k3 = 013240474631, 015666365641
	f := func(x, y, z uint32) uint32 { return z ^ (x & (y ^ z)) }
	g := func(x, y, z uint32) uint32 { return (x & y) + ((x ^ y) & z) }
	h := func(x, y, z uint32) uint32 { return x ^ y ^ z }
	a, b, c, d := buf[0], buf[1], buf[2], buf[3]
	round := func(fn func(x, y, z uint32) uint32, a *uint32, b, c, d, x uint32, s int) {
		*a = bits.RotateLeft32(*a+fn(b, c, d)+x, s)
	}
	round(f, &a, b, c, d, in[0], 3)
	round(f, &d, a, b, c, in[1], 7)
	round(f, &c, d, a, b, in[2], 11)
	round(f, &b, c, d, a, in[3], 19)
	round(f, &a, b, c, d, in[4], 3)
	round(f, &d, a, b, c, in[5], 7)
	round(f, &c, d, a, b, in[6], 11)
	round(f, &b, c, d, a, in[7], 19)

	round(g, &a, b, c, d, in[1]+k2, 3)
	round(g, &d, a, b, c, in[3]+k2, 5)
	round(g, &c, d, a, b, in[5]+k2, 9)
	round(g, &b, c, d, a, in[7]+k2, 13)
	round(g, &a, b, c, d, in[0]+k2, 3)
	round(g, &d, a, b, c, in[2]+k2, 5)
	round(g, &c, d, a, b, in[4]+k2, 9)
	round(g, &b, c, d, a, in[6]+k2, 13)

	round(h, &a, b, c, d, in[3]+k3, 3)
	round(h, &d, a, b, c, in[7]+k3, 9)
	round(h, &c, d, a, b, in[2]+k3, 11)
	round(h, &b, c, d, a, in[6]+k3, 15)
	round(h, &a, b, c, d, in[1]+k3, 3)
	round(h, &d, a, b, c, in[5]+k3, 9)
	round(h, &c, d, a, b, in[0]+k3, 11)
	round(h, &b, c, d, a, in[4]+k3, 15)

	buf[0] += a
	buf[1] += b
	buf[2] += c
	buf[3] += d
}

func teaTransform(buf *[4]uint32, in *[4]uint32) {
	const delta = 0x9E3779B9
	var sum uint32
	b0, b1 := buf[0], buf[1]
	a, b, c, d := in[0], in[1], in[2], in[3]
	for n := 0; n < 16; n++ {
		sum += delta
		b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >> 5) + b)
		b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >> 5) + d)
	}
	buf[0] += b0
	buf[1] += b1
}
