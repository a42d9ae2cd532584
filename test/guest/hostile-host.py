#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""hostile-host.py IMAGES: play a misbehaving host against a real
hyperstart in a real VM and check that PID 1 answers every bad frame with
ERROR and keeps serving (docs/protocol.md). Prints TAP."""
import json, os, select, socket, struct, subprocess, sys, tempfile, time

images = sys.argv[1]
rootfs = tempfile.mkdtemp(prefix="qpod-hostile-")  # an empty root: enough to build the overlay
READY, ACK, ERROR, EXIT = 8, 9, 10, 23
n = 0
failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok"), n, "-", name)
    if not cond:
        failed += 1
        print("#  ", detail)
    sys.stdout.flush()


ctl, ctl_q = socket.socketpair()
st, st_q = socket.socketpair()
cmdline = open(os.path.join(images, "cmdline")).read().strip()
qemu = subprocess.Popen([
    "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-machine", "pc,accel=tcg", "-m", "128", "-bios", os.path.join(images, "qboot.rom"),
    "-kernel", os.path.join(images, "vmlinuz"), "-initrd", os.path.join(images, "initrd.img"),
    "-append", cmdline, "-serial", "file:/dev/null",
    "-device", "virtio-serial-pci,id=vs0",
    "-chardev", "socket,id=ctl,fd=%d" % ctl_q.fileno(),
    "-device", "virtserialport,bus=vs0.0,chardev=ctl,name=sh.hyper.channel.0",
    "-chardev", "socket,id=st,fd=%d" % st_q.fileno(),
    "-device", "virtserialport,bus=vs0.0,chardev=st,name=sh.hyper.channel.1",
    "-fsdev", "local,id=root,path=%s,security_model=none,readonly=on" % rootfs,
    "-device", "virtio-9p-pci,fsdev=root,mount_tag=rootfs",
], pass_fds=[ctl_q.fileno(), st_q.fileno()])
ctl_q.close()
st_q.close()
buf = b""


def frame(timeout=30):
    """Next control frame as (type, payload), or (None, None) on a deadline."""
    global buf
    end = time.time() + timeout
    while True:
        if len(buf) >= 8:
            t, l = struct.unpack(">II", buf[:8])
            if len(buf) >= l:
                p, buf = buf[8:l], buf[l:]
                return t, p
        left = end - time.time()
        if left <= 0 or not select.select([ctl], [], [], left)[0]:
            return None, None
        d = ctl.recv(1 << 20)
        if not d:
            return None, None
        buf += d


def send(t, payload=b""):
    ctl.sendall(struct.pack(">II", t, len(payload) + 8) + payload)


def expect(want, name):
    t, p = frame()
    ok(t == want, name, "got type %r payload %r" % (t, p and p[:200]))
    return p


try:
    expect(READY, "READY is the first frame")
    send(999)
    p = expect(ERROR, "an unknown message type gets ERROR")
    ok(p is not None and b"unsupported message" in p, "and the ERROR says why", p)
    send(1, b"{not json")
    expect(ERROR, "STARTPOD that is not JSON gets ERROR")
    ctl.sendall(struct.pack(">II", 1, 2 << 20) + b"x" * ((2 << 20) - 8))
    p = expect(ERROR, "a 2 MiB control frame is skipped whole and answered")
    ok(p is not None and b"exceeds" in p, "the ERROR names the size limit", p)
    send(17, json.dumps({"id": "c", "process": {"args": ["true"], "stdio": 1, "stderr": 2}}).encode())
    expect(ERROR, "NEWCONTAINER before STARTPOD gets ERROR")
    st.sendall(struct.pack(">QI", 77, 12 + 5) + b"junk!" + struct.pack(">QI", 0, 12 + 5) + b"bad!!")
    ctl.sendall(struct.pack(">II", 12, 3))
    expect(ERROR, "a length below the header gets ERROR")
    send(12)
    expect(ACK, "PID 1 still answers PING after all that")
    send(0, struct.pack(">I", 1000001))
    p = expect(ACK, "GETVERSION")
    ok(p is not None and len(p) == 4 and struct.unpack(">I", p)[0] >= 1000000, "version is 4 bytes, >= 1000000", p)
    send(1, json.dumps({"hostname": "h", "shareDir": "rootfs", "future": [1, {"x": 2}]}).encode())
    expect(ACK, "STARTPOD with an unknown key is accepted")
    send(17, json.dumps({"id": "c", "process": {"args": ["no-such-binary"], "stdio": 1, "stderr": 2}}).encode())
    expect(ACK, "NEWCONTAINER is acknowledged")
    p = expect(EXIT, "a command that is not found still ends with an exit event")
    ok(p is not None and json.loads(p).get("status") == 127, "status 127", p)
    send(17, json.dumps({"id": "c", "process": {"args": ["true"], "stdio": 1, "stderr": 2}}).encode())
    expect(ERROR, "a second container gets ERROR")
    execcmd = lambda proc: send(6, json.dumps({"container": "c", "process": proc}).encode())
    execcmd({"id": "exec-1", "args": ["nope"], "stdio": 3, "stderr": 4})
    expect(ACK, "EXECCMD starts another process")
    p = expect(EXIT, "which ends with its own exit event")
    ok(p is not None and json.loads(p).get("process") == "exec-1" and json.loads(p).get("status") == 127,
       "naming exec-1, status 127", p)
    execcmd({"id": "../x", "args": ["nope"], "stdio": 5, "stderr": 6})
    expect(ERROR, "EXECCMD with a bad process id gets ERROR")
    execcmd({"args": ["nope"], "stdio": 5, "stderr": 6})
    expect(ERROR, "EXECCMD without a process id gets ERROR")
    execcmd({"id": "init", "args": ["again"], "stdio": 1, "stderr": 2})
    expect(ACK, "EXECCMD runs the container's command again (a restart)")
    p = expect(EXIT, "and it ends with an exit event")
    ok(p is not None and json.loads(p).get("process") == "init", "naming init", p)
    send(4)
    expect(ACK, "DESTROYPOD is acknowledged")
    try:
        qemu.wait(timeout=30)
        ok(True, "the VM powers off")
    except subprocess.TimeoutExpired:
        ok(False, "the VM powers off", "qemu still running")
finally:
    os.rmdir(rootfs)
    if qemu.poll() is None:
        qemu.kill()
        qemu.wait()
print("1..%d" % n)
sys.exit(1 if failed else 0)
