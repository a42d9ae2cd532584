#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""mkowners.py OUT.tar: a docker-archive whose ownership a rootless run must
show exactly as a root run does (test/rootless.bats).

Two layers on Debian's static busybox. The first has setuid and setgid
files, a root-owned 0600 file, /etc/shadow as root:shadow 0640, a user's
home (1000:1000, 0750) and a file in it, a sticky directory, symlinks (to a
file, to a directory, dangling), a hardlink, a fifo, and character and
block devices outside /dev. The second writes a file through the
directory symlink (resolved inside the root while the link is real) and
replaces a symlink with one owned by 1000:1000, so the newest owner must
win."""
import os
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packer"))
from mkhostile import D, F, H, dev, docker, fifo, tar, ti  # noqa: E402

APPLETS = ["sh", "ls", "stat", "find", "id", "su", "chown", "cat", "readlink", "sort", "echo", "test", "touch", "mkdir", "sed"]


def link(name, target, uid=0, gid=0):
    return (ti(name, tarfile.SYMTYPE, mode=0o777, link=target, uid=uid, gid=gid), None)


def main():
    with open("/bin/busybox", "rb") as f:
        bb = f.read()
    l1 = [D("bin"), D("etc"), D("usr"), D("usr/bin"), D("usr/share"), D("opt"), D("root", mode=0o700),
          D("tmp", mode=0o1777), D("home"), D("home/alice", mode=0o750, uid=1000, gid=1000),
          D("var"), D("var/spool"), D("var/spool/drop", mode=0o1733, gid=42),
          F("bin/busybox", bb, mode=0o755)]
    l1 += [link("bin/" + a, "busybox") for a in APPLETS]
    l1 += [F("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/home/alice:/bin/sh\n"
             b"nobody:x:65534:65534:nobody:/:/bin/sh\n"),
           F("etc/group", b"root:x:0:\nshadow:x:42:\ntty:x:5:\nalice:x:1000:\nnogroup:x:65534:\n"),
           F("etc/shadow", b"root:*:19000:0:99999:7:::\nalice:*:19000:0:99999:7:::\n", mode=0o640, gid=42),
           F("usr/bin/passwd", b"passwd\n", mode=0o4755),
           F("usr/bin/wall", b"wall\n", mode=0o2755, gid=5),
           F("root/secret", b"s3cret\n", mode=0o600),
           F("home/alice/notes", b"alice's\n", mode=0o640, uid=1000, gid=1000),
           H("usr/bin/passwd.hard", "usr/bin/passwd"),
           link("usr/bin/pw", "passwd"), link("etc/share", "/usr/share"), link("opt/dangling", "/nowhere"),
           fifo("opt/fifo"), dev("opt/null", 1, 3)]
    blk = ti("opt/disk", tarfile.BLKTYPE, mode=0o660, gid=6)
    blk.devmajor, blk.devminor = 8, 0
    l1.append((blk, None))
    l2 = [F("etc/share/through-link", b"layer 2\n"), link("usr/bin/pw", "wall", uid=1000, gid=1000)]
    with open(sys.argv[1], "wb") as f:
        f.write(docker([tar(l1), tar(l2)], tags=("owners:latest",)))


if __name__ == "__main__":
    main()
