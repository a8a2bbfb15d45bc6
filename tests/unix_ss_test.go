package tests

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUnixSS runs ss (iproute2) over a script's AF_UNIX, TCP and UDP
// sockets on the host and under kite: listening, connected, pending,
// abstract, datagram and socketpair sockets, with bytes queued. The
// inodes, pids and file numbers differ and are replaced by the
// script's names for them (a path's inode and device by PATHINO and
// PATHDEV where they are the bound file's); the kernel's dump order is
// its hash tables', so lines are sorted. It also asks unix_diag for one
// socket by inode and sends sock_diag requests Linux refuses.
func TestUnixSS(t *testing.T) {
	need(t, "/usr/bin/python3", "/usr/bin/ss")
	dir := filepath.Join(workDir, "unix-ss")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	compare(t, nil, "/usr/bin/python3", "-c", unixSSScript, filepath.Join(dir, "sock.path"))
}

const unixSSScript = `import socket, subprocess, sys, os, re, struct, errno
p = sys.argv[1]
try: os.unlink(p)
except FileNotFoundError: pass
names = {}
def reg(name, s):
    names[str(os.fstat(s.fileno()).st_ino)] = name
    return s
l = reg("L", socket.socket(socket.AF_UNIX)); l.bind(p); l.listen(5)
c = reg("C", socket.socket(socket.AF_UNIX)); c.connect(p)
c2 = reg("C2", socket.socket(socket.AF_UNIX)); c2.connect(p)
a, _ = l.accept(); reg("A", a)
c.send(b"hello")
ab = reg("AB", socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); ab.bind("\0kite-ss-abs-%d" % os.getpid())
dg = reg("DG", socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); dg.connect(ab.getsockname())
dg.send(b"xyz"); dg.send(b"abcdefgh")
dd = reg("DD", socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); dd.connect(ab.getsockname())
un = reg("UN", socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
sp = reg("SP", socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)); sp.bind("\0kite-ss-seq-%d" % os.getpid()); sp.listen(2)
pa, pb = socket.socketpair(); reg("PA", pa); reg("PB", pb)
pb.send(b"0123456789")
qa, qb = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM); reg("QA", qa); reg("QB", qb)
qa.shutdown(socket.SHUT_WR)
# TCP and UDP on 127.0.0.1, ports named.
tl = socket.socket(); tl.bind(("127.0.0.1", 0)); tl.listen(3)
tc = socket.create_connection(tl.getsockname()); ta, _ = tl.accept()
tc.send(b"1234567")
# Wait until the bytes are the server's and acknowledged (the client's
# Send-Q, which ss reads, is 0), so that the queues ss shows do not
# depend on when the stack delivers.
import fcntl, termios, array, time
def inq(s):
    b = array.array("i", [0]); fcntl.ioctl(s.fileno(), termios.FIONREAD, b); return b[0]
def unacked():
    r = subprocess.run(["ss", "-Htn", "sport = :%d" % tc.getsockname()[1]], capture_output=True, text=True)
    return [l.split()[2] for l in r.stdout.splitlines()] != ["0"]
while inq(ta) < 7 or unacked():
    time.sleep(0.001)
u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u1.bind(("127.0.0.1", 0))
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u2.bind(("127.0.0.1", 0)); u2.connect(u1.getsockname())
ports = {str(tl.getsockname()[1]): "TL", str(tc.getsockname()[1]): "TC", str(u1.getsockname()[1]): "U1", str(u2.getsockname()[1]): "U2"}
st = os.stat(p)
kdev = os.major(st.st_dev) << 20 | os.minor(st.st_dev)
pathdev = "dev:%d/%d" % (os.major(kdev), os.minor(kdev))
abs_name = "@kite-ss-abs-%d" % os.getpid()
seq_name = "@kite-ss-seq-%d" % os.getpid()

def norm(w):
    if w in names: return names[w]
    if w in (abs_name, "\0" + abs_name[1:]): return "@ABS"
    if w in (seq_name, "\0" + seq_name[1:]): return "@SEQ"
    if w == "ino:%d" % st.st_ino: return "PATHINO"
    if w == pathdev: return "PATHDEV"
    if w == p: return "PATH"
    w = re.sub(r"pid=\d+,fd=\d+", "pid=PID,fd=FD", w)
    return re.sub(r":(\d+)$", lambda m: ":" + ports.get(m.group(1), m.group(1)), w)

def ss(*args):
    r = subprocess.run(["ss", "-H"] + list(args), capture_output=True, text=True)
    print("==", " ".join(args), r.returncode, r.stderr.strip())
    lines = []
    for line in r.stdout.splitlines():
        f = line.split()
        if f[0].startswith("u_"):
            mine = f[5] in names
        elif f[0] in ("tcp", "udp") or f[0].isupper():
            # Local and peer address: ours (another connection may
            # share an ephemeral port number).
            i = 4 if f[0] in ("tcp", "udp") else 3
            port = lambda w: w.rsplit(":", 1)[-1]
            mine = port(f[i]) in ports and (port(f[i + 1]) == "*" or port(f[i + 1]) in ports)
        else:
            mine = False
        if mine:
            lines.append(" ".join(norm(w) for w in f))
    print("\n".join(sorted(lines)))

# Netlink sockets (NETLINK_DIAG): bound ones, one with a group (Linux
# lists it twice), an unbound one (not listed); ports are the pid, or a
# negative number when the pid is taken (Linux's is random).
nr = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); nr.bind((0, 0))
ng = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0); ng.bind((0, 1))
nk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15); nk.bind((0, 0))
nu = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
ngport = ng.getsockname()[0]
ngport = str(ngport - (1 << 32) if ngport >= 1 << 31 else ngport)
def ssnl(*args):
    r = subprocess.run(["ss", "-H"] + list(args), capture_output=True, text=True)
    print("==", " ".join(args), r.returncode, r.stderr.strip())
    lines = []
    for line in r.stdout.splitlines():
        f = line.split()
        local = f[3] if f[0] != "nl" else f[4]
        who = local.split(":", 1)[-1]
        if who in ("python3/%d" % os.getpid(), ngport):
            lines.append(" ".join(f).replace(who, "python3/PID" if who != ngport else "NEG"))
    print("\n".join(sorted(lines)))
ssnl("-a", "-f", "netlink")
ssnl("-a", "-A", "netlink")

ss("-a")
ss("-x")
ss("-xa")
ss("-xp")
ss("-lx")
ss("-xae")
ss("-xam")
ss("-u", "-a")
ss("-tanp")
ss("-xa", "src", p)

# unix_diag's request for one socket, by inode.
NLMSG_ERROR, SOCK_DIAG_BY_FAMILY, SOCK_DESTROY = 2, 20, 21
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
def ask(typ, flags, payload):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
    s.sendto(struct.pack("=IHHII", 16 + len(payload), typ, flags, 7, 0) + payload, (0, 0))
    b = s.recv(65536)
    s.close()
    out = []
    while b:
        n, t, fl, seq, _ = struct.unpack_from("=IHHII", b)
        body = b[16:n]
        if t == NLMSG_ERROR:
            e = -struct.unpack_from("=i", body)[0]
            out.append("error %s" % (errno.errorcode.get(e, e) if e else 0))
        elif t == SOCK_DIAG_BY_FAMILY:
            fam, typ2, state, _, ino = struct.unpack_from("=BBBBI", body)
            attrs = []
            off = 16
            while off + 4 <= len(body):
                alen, atyp = struct.unpack_from("=HH", body, off)
                data = body[off + 4:off + alen]
                if atyp == 0: v = norm(data.decode()) if data[:1] == b"\0" else norm(data[:-1].decode()) + "+NUL" if data[-1:] == b"\0" else norm(data.decode())
                elif atyp == 1: v = "vfs:%s" % ("PATHINO" if struct.unpack_from("=I", data)[0] == st.st_ino else "other")
                elif atyp == 2: v = names.get(str(struct.unpack_from("=I", data)[0]), struct.unpack_from("=I", data)[0])
                elif atyp == 7: v = "uid%d" % struct.unpack_from("=I", data)[0]
                elif atyp == 3: v = [names.get(str(x), x) for x in struct.unpack_from("=%dI" % (len(data) // 4), data)]
                elif atyp == 4: v = struct.unpack_from("=II", data)
                elif atyp == 5: v = "meminfo %d" % len(data)
                else: v = data.hex()
                attrs.append("%d=%s" % (atyp, v))
                off += (alen + 3) & ~3
            out.append("msg flags=%#x fam=%d type=%d state=%d ino=%s %s" % (fl, fam, typ2, state, names.get(str(ino), ino), " ".join(attrs)))
        elif t == 3:
            out.append("done")
        else:
            out.append("type %d" % t)
        b = b[(n + 3) & ~3:]
    return out
def udiag(ino, show=0x7f, cookie=(0xffffffff, 0xffffffff), states=0xffffffff, typ=SOCK_DIAG_BY_FAMILY, flags=NLM_F_REQUEST):
    return ask(typ, flags, struct.pack("=BBHIIIII", socket.AF_UNIX, 0, 0, states, ino, show, *cookie))
ino = {v: int(k) for k, v in names.items()}
for who in ["L", "A", "C2", "AB", "DG", "QA", "SP"]:
    print("get", who, udiag(ino[who]))
print("get stale cookie", udiag(ino["L"], cookie=(0, 0)))
print("get no inode", udiag(0))
print("get gone", udiag(0x7ffffff0))
print("short", ask(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BBHI", socket.AF_UNIX, 0, 0, 0)))
print("appletalk", ask(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BBH", 5, 0, 0) + bytes(40)))
print("af_max", ask(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BBH", 46, 0, 0) + bytes(40)))
print("destroy unix", udiag(ino["L"], typ=SOCK_DESTROY))
print("type 19", ask(19, NLM_F_REQUEST | NLM_F_DUMP, bytes(60)))
# What datagrams of each size charge their sender (ss's Send-Q).
r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r.bind("\0kite-ss-sz-%d" % os.getpid())
r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
for n in [0, 100, 200, 1000, 4000, 8000, 16064, 16065, 65536, 150000]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    s.connect(r.getsockname()); s.send(b"x" * n)
    b = array.array("i", [0]); fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b)
    print("datagram", n, "outq", b[0], "inq", inq(r))
    r.recv(1 << 20); s.close()
print("type 22", ask(22, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BBH", socket.AF_UNIX, 0, 0) + bytes(40)))
`
