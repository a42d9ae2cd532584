#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""buildinfo.py OBJ [EXTERNAL...] > buildinfo.json: what built the images.

  {
    "qpod": {"version", "commit", "changed"},   this repository (HEAD, and
                                    whether tracked files differed from it)
    "source_date_epoch": N,         every output's timestamp
    "arch": "x86_64",               the guest's (configs/arch/)
    "compiler": {"package": "gcc-12", "version", "text": "gcc (Debian ...)"},
                                    the guest's compiler (arm64: Debian's
                                    cross gcc-12-aarch64-linux-gnu)
    "musl": {deb musl-dev},         the guest's libc (hyperstart, static)
    "linux_source": {deb linux-source-6.1},   the kernel's source
    "qemu_source": {"orig": NAME, "version", "sha256"},   qboot's source
                                    (bios-qboot.bin), firmware/qboot.hash;
                                    null for a guest without firmware
    "qboot_rom": {deb qemu-system-data},      Debian's qboot.rom, or null
    "busybox": {deb busybox-static},          busybox.tar's binary
    "kernel_keys": {"vmlinux", "vmlinux-up"}, the kernels' cache keys
                                    (vmlinux: the SMP kernel's, arm64's
                                    Image; vmlinux-up null without one)
    "externals": [{"name", "license", "sha256"}],   the external trees
    "packages": [{deb}...]          every Debian package toolchain/provenance
                                    names and the tools that write the
                                    images (binutils, make, gzip, cbfstool,
                                    ...), sorted by name
  }

A {deb} is {"package", "version", "arch", "source", "source_version"} from
dpkg (provenance.py). The rows of toolchain/provenance are the guest
architecture's ($QPOD_ARCH; $QPOD_ARCH_CC its compiler, default gcc). Deterministic: sorted, fixed key order, no time but
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
    gcc = os.environ.get("QPOD_ARCH_CC") or "gcc"
    gcc_deb = "gcc-12" if gcc == "gcc" else "gcc-12-" + gcc[:-len("-gcc")]
    debs.add(gcc_deb)
    cc = subprocess.run([gcc, "--version"], capture_output=True, text=True,
                        env=dict(os.environ, LC_ALL="C")).stdout.splitlines()[0]

    def row(name, package):  # the deb source of file name that is package
        return next(pv.deb(s[4:]) for s in files[name] if s[4:].split(":")[0] == package)

    o = pv.orig("firmware/qboot.hash") if "bios-qboot.bin" in files else None
    info = {
        "qpod": pv.qpod(),
        "source_date_epoch": pv.epoch(),
        "arch": pv.ARCH,
        "compiler": dict(pv.deb(gcc_deb), text=cc),
        "musl": row("initrd.img", "musl-dev"),
        "linux_source": pv.deb("linux-source-6.1"),
        "qemu_source": o and {"orig": o["name"], "version": o["version"], "sha256": o["sha256"]},
        "qboot_rom": row("qboot.rom", "qemu-system-data") if "qboot.rom" in files else None,
        "busybox": row("busybox.tar", "busybox-static"),
        "kernel_keys": keys,
        "externals": [{k: e[k] for k in ("name", "license", "sha256")} for e in pv.externals(obj, dirs)],
        "packages": [pv.deb(p) for p in sorted(debs)],
    }
    pv.dump(info)


if __name__ == "__main__":
    pv.run(main, "buildinfo")
