#!/usr/bin/env python3
"""buildinfo.py OBJ [EXTERNAL...] > buildinfo.json: what built the images.

  {
    "qpod": {"version", "commit", "changed"},   this repository (HEAD, and
                                    whether tracked files differed from it)
    "source_date_epoch": N,         every output's timestamp
    "compiler": {"package": "gcc-12", "version", "text": "gcc (Debian ...)"},
    "musl": {deb musl-dev},         the guest's libc (hyperstart, static)
    "linux_source": {deb linux-source-6.1},   the kernel's source
    "qemu_source": {"orig": NAME, "version", "sha256"},   qboot's source
                                    (bios-qboot.bin), firmware/qboot.hash
    "qboot_rom": {deb qemu-system-data},      Debian's qboot.rom
    "busybox": {deb busybox-static},          busybox.tar's binary
    "kernel_keys": {"vmlinux", "vmlinux-up"}, the kernels' cache keys
    "externals": [{"name", "license", "sha256"}],   the external trees
    "packages": [{deb}...]          every Debian package toolchain/provenance
                                    names and the tools that write the
                                    images (binutils, make, gzip, cbfstool,
                                    ...), sorted by name
  }

A {deb} is {"package", "version", "arch", "source", "source_version"} from
dpkg (provenance.py). Deterministic: sorted, fixed key order, no time but
SOURCE_DATE_EPOCH; the same checkout and packages give the same bytes.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provenance as pv  # noqa: E402

# Tools whose output is in the images, besides the packages the table names.
TOOLS = ["binutils", "coreboot-utils", "cpp-12", "gcc-12", "gzip", "make", "musl-tools", "tar", "xz-utils"]


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: buildinfo.py OBJ [EXTERNAL...]")
    obj, dirs = argv[1], argv[2:]
    files, _ = pv.table(os.path.join(pv.HERE, "provenance"))
    debs = {s[4:] for srcs in files.values() for s in srcs if s.startswith("deb:")} | set(TOOLS)
    keys = {}
    for k, f in (("vmlinux", "key"), ("vmlinux-up", "key-up")):
        p = os.path.join(obj, "kernel", f)
        keys[k] = open(p).read().strip() if os.path.exists(p) else None
    cc = subprocess.run(["gcc", "--version"], capture_output=True, text=True,
                        env=dict(os.environ, LC_ALL="C")).stdout.splitlines()[0]
    o = pv.orig("firmware/qboot.hash")
    info = {
        "qpod": pv.qpod(),
        "source_date_epoch": pv.epoch(),
        "compiler": dict(pv.deb("gcc-12"), text=cc),
        "musl": pv.deb("musl-dev"),
        "linux_source": pv.deb("linux-source-6.1"),
        "qemu_source": {"orig": o["name"], "version": o["version"], "sha256": o["sha256"]},
        "qboot_rom": pv.deb("qemu-system-data"),
        "busybox": pv.deb("busybox-static"),
        "kernel_keys": keys,
        "externals": [{k: e[k] for k in ("name", "license", "sha256")} for e in pv.externals(obj, dirs)],
        "packages": [pv.deb(p) for p in sorted(debs)],
    }
    pv.dump(info)


if __name__ == "__main__":
    pv.run(main, "buildinfo")
