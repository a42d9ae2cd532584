#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""mkhostile.py GOOD.qpod OUTDIR TOKEN: write the hostile bundles that
test/bundle.bats feeds to `qpod run` and `qpod verify`, one OUTDIR/<case>.qpod
each (list: `mkhostile.py --list`). `mkhostile.py --asks GOOD.qpod OUTDIR`
writes the well-formed ones that ask the host too much (asks()), and prints
"case|what the refusal says" for each.

Each case starts from a good bundle made by `qpod bundle` and breaks one
thing. Where the case is about a document (a size, a digest, a part's
contents), the documents above it are rewritten and their digests chained
again, and the tar is written with the very headers qpod writes (ustar,
uid/gid 0, mode 0644, the bundle's mtime), so the reader has to find that
one thing and not a framing error. Writing the good bundle back from its
parts must give the same bytes: the generator checks that first. Paths an
escape would create carry TOKEN (/tmp/qpod-hostile-TOKEN...).
"""
import hashlib
import json
import os
import sys
import tarfile


def sha(b):
    return hashlib.sha256(b).hexdigest()


def header(name, size, mtime):
    """The ustar header libarchive writes for a bundle member."""
    h = bytearray(512)
    n = name.encode()
    assert len(n) <= 100
    h[0:len(n)] = n
    h[100:108] = b"000644 \0"
    h[108:116] = b"000000 \0"
    h[116:124] = b"000000 \0"
    h[124:136] = b"%011o " % size if size < 8 << 30 else b"77777777777 "
    h[136:148] = b"%011o " % mtime
    h[148:156] = b" " * 8
    h[156] = ord("0")
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[329:337] = b"000000 \0"
    h[337:345] = b"000000 \0"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def tar(members, mtime):
    out = bytearray()
    for name, data in members:
        out += header(name, len(data), mtime) + data + b"\0" * (-len(data) % 512)
    return bytes(out + b"\0" * 1024)


def dumps(o):
    return json.dumps(o, separators=(",", ":")).encode()


class Bundle:
    def __init__(self, path):
        with tarfile.open(path) as t:
            ms = t.getmembers()
            self.mtime = ms[0].mtime
            data = {m.name: t.extractfile(m).read() for m in ms}
        self.blobs = {n[13:]: d for n, d in data.items() if n.startswith("blobs/sha256/")}
        self.index = json.loads(data["index.json"])
        self.nested = json.loads(self.blob(self.index["manifests"][0]))
        ents = self.nested["manifests"]
        self.qpod = json.loads(self.blob(ents[1]))
        self.image = json.loads(self.blob(ents[0]))

    def blob(self, desc):
        return self.blobs[desc["digest"][7:]]

    def part(self, role):
        roles = ["kernel", "kernel-up", "initrd", "firmware", "cmdline", "vm.conf", "sbom", "launch", "rootfs"]
        return self.qpod["layers"][roles.index(role)]

    def set_part(self, role, data):
        d = self.part(role)
        d["digest"], d["size"] = "sha256:" + sha(data), len(data)
        self.blobs[sha(data)] = data

    def chain(self):
        """Documents again, bottom up; returns the tar members."""
        q = dumps(self.qpod)
        im = dumps(self.image)
        self.blobs[sha(q)], self.blobs[sha(im)] = q, im
        ents = self.nested["manifests"]
        for e, b in ((ents[0], im), (ents[1], q)):
            e["digest"], e["size"] = "sha256:" + sha(b), len(b)
        n = dumps(self.nested)
        self.blobs[sha(n)] = n
        m = self.index["manifests"][0]
        m["digest"], m["size"] = "sha256:" + sha(n), len(n)
        refs = {self.index["manifests"][0]["digest"]} | {e["digest"] for e in ents}
        refs |= {d["digest"] for d in self.qpod["layers"]} | {self.qpod["config"]["digest"]}
        refs |= {self.image["config"]["digest"]} | {d["digest"] for d in self.image["layers"]}
        keep = sorted(r[7:] for r in refs if r[7:] in self.blobs)
        return [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", dumps(self.index))] + \
               [("blobs/sha256/" + h, self.blobs[h]) for h in keep]

    def write(self, path, members=None):
        with open(path, "wb") as f:
            f.write(tar(members if members is not None else self.chain(), self.mtime))


def cases(good, token):
    """name -> function(path): each writes one hostile bundle."""
    raw = open(good, "rb").read()
    B = lambda: Bundle(good)

    def raw_case(data):
        return lambda p: open(p, "wb").write(data)

    def part_case(role, data):
        def f(p):
            b = B()
            b.set_part(role, data)
            b.write(p)
        return f

    def members_case(edit):
        def f(p):
            b = B()
            ms = b.chain()
            b.write(p, edit(b, ms))
        return f

    def doc_case(edit):
        def f(p):
            b = B()
            edit(b)
            b.write(p)
        return f

    def kernel_member(b, ms):
        h = b.part("kernel")["digest"][7:]
        return next(i for i, m in enumerate(ms) if m[0].endswith(h))

    def set_field(role, key, value):
        def e(b):
            b.part(role)[key] = value
        return e

    def bad_tar_size(b, ms):
        out = bytearray(tar(ms, b.mtime))
        # the last member's header claims more bytes than the file has
        pos = 0
        for name, data in ms[:-1]:
            pos += 512 + len(data) + (-len(data) % 512)
        h = bytearray(header(ms[-1][0], 1 << 32, b.mtime))
        out[pos:pos + 512] = h
        return bytes(out)

    escape = "blobs/sha256/../../../../tmp/qpod-hostile-" + token
    return {
        "truncated-half": raw_case(raw[:len(raw) // 2]),
        "truncated-end": raw_case(raw[:-1024]),
        "truncated-header": raw_case(raw[:512 * 3 + 100]),
        "extra-byte": raw_case(raw + b"\0"),
        "blob-missing": members_case(lambda b, ms: ms[:kernel_member(b, ms)] + ms[kernel_member(b, ms) + 1:]),
        "blob-duplicated": members_case(lambda b, ms: ms[:kernel_member(b, ms) + 1] + ms[kernel_member(b, ms):]),
        "blob-unreferenced": members_case(lambda b, ms: ms[:2] + sorted(ms[2:] + [("blobs/sha256/" + sha(b"x"), b"x")])),
        "member-escapes": members_case(lambda b, ms: ms + [(escape, b"owned\n")]),
        "member-unknown": members_case(lambda b, ms: ms + [("zzz", b"x")]),
        "tar-size-beyond-file": lambda p: open(p, "wb").write(bad_tar_size(B(), B().chain())),
        "digest-escapes": doc_case(set_field("kernel", "digest", "sha256:../../../../tmp/qpod-hostile-" + token)),
        "size-absurd": doc_case(set_field("rootfs", "size", 1 << 62)),
        "size-negative": doc_case(set_field("initrd", "size", -1)),
        "size-outside-file": doc_case(set_field("rootfs", "size", len(raw) * 4)),
        "rootfs-not-squashfs": part_case("rootfs", b"this is no squashfs\n" * 4096),
        "rootfs-wrong-compressor": part_case("rootfs", b"hsqs" + b"\0" * 16 + b"\4\0" + b"\0" * (8192 - 22)),
        "kernel-not-elf": part_case("kernel", b"#!/bin/sh\necho not a kernel\n" * 100),
        "kernel-up-not-elf": part_case("kernel-up", b"MZ" + b"\0" * 4094),
        "initrd-not-cpio": part_case("initrd", b"plain text, not an initrd\n"),
        "firmware-odd-size": part_case("firmware", b"\0" * 1000),
        "launch-absurd-memory": part_case("launch", b'{"memory":1099511627776}'),
        "launch-bad-publish": part_case("launch", b'{"publish":["99999:80"]}'),
        "launch-not-json": part_case("launch", b'{"env":['),
        "cmdline-control-bytes": part_case("cmdline", b"console=ttyS0\x1b[2J init=/bin/sh"),
        "qpod-manifest-parts-missing": doc_case(lambda b: b.qpod.__setitem__("layers", b.qpod["layers"][:3])),
        "qpod-manifest-wrong-type": doc_case(set_field("rootfs", "mediaType", "application/x-evil")),
        "subject-not-image": doc_case(lambda b: b.qpod["subject"].__setitem__("digest", "sha256:" + "0" * 64)),
        "index-rewritten": doc_case(lambda b: b.index["manifests"][0]["annotations"].__setitem__(
            "org.opencontainers.image.ref.name", "../../evil")),
        "json-deep": part_case("launch", b"[" * 30000 + b"]" * 30000),
    }


def asks(good):
    """name -> (function(path), what the refusal says): well-formed bundles,
    every byte as its digests say, that ask the host for too much or pass
    qemu more than its allowlist (test/consent.bats): `qpod run` refuses
    them; `qpod verify` passes those that ask more than this host has
    (their names end in -host or -1tib) and refuses, with the same line,
    a value qpod never takes (the reader parses vm.conf and the launch
    config for every command)."""
    def vmconf(**kv):
        def f(p):
            b = Bundle(good)
            lines = [ln for ln in b.blob(b.part("vm.conf")).decode().splitlines()
                     if ln.split("=", 1)[0] not in kv]
            b.set_part("vm.conf", ("\n".join(lines + ["%s=%s" % i for i in kv.items()]) + "\n").encode())
            b.write(p)
        return f

    def launch(doc):
        def f(p):
            b = Bundle(good)
            b.set_part("launch", dumps(doc))
            b.write(p)
        return f
    return {
        "launch-memory-1tib": (launch({"memory": 1 << 20}), "asks for 1048576 MiB of memory, this host has"),
        "launch-cpus-4096": (launch({"cpus": 4096}), "\"cpus\" is not a number from 1 to 64"),
        "vmconf-memory-1tib": (vmconf(memory=1 << 20), "asks for 1048576 MiB of memory, this host has"),
        "vmconf-cpus-4096": (vmconf(cpus=4096), "bad value \"4096\" for cpus"),
        "vmconf-cpus-host": (vmconf(cpus=len(os.sched_getaffinity(0)) + 1), "vCPUs, this host has %d" % len(os.sched_getaffinity(0))),
        "vmconf-machine-options": (vmconf(machine="pc,acpi=off,mem-merge=on"), "bad value \"pc,acpi=off,mem-merge=on\" for machine"),
        "vmconf-machine-type": (vmconf(machine="none"), "bad value \"none\" for machine"),
        # another arch's machine: an x86_64 guest's are pc and q35 (runner/vm/arch.c)
        "vmconf-machine-other-arch": (vmconf(machine="virt,gic-version=3"), "bad value \"virt,gic-version=3\" for machine (an x86_64 guest: pc|q35)"),
        "vmconf-accel-options": (vmconf(accel="tcg,thread=multi"), "bad value \"tcg,thread=multi\" for accel"),
        "vmconf-boot-timeout": (vmconf(boot_timeout="1e9"), "bad value \"1e9\" for boot_timeout"),
    }


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
        return
    if sys.argv[1:2] == ["--asks"]:
        good, out = sys.argv[2:4]
        os.makedirs(out, exist_ok=True)
        for name, (f, want) in asks(good).items():
            f(os.path.join(out, name + ".qpod"))
            print("%s|%s" % (name, want))
        return
    good, out, token = sys.argv[1:4]
    b = Bundle(good)
    again = tar(b.chain(), b.mtime)
    if again != open(good, "rb").read():
        sys.exit("mkhostile.py: rewriting %s does not give its bytes back; the generator is wrong" % good)
    os.makedirs(out, exist_ok=True)
    made = cases(good, token)
    assert list(made) == CASES, "CASES and cases() disagree"
    for name, f in made.items():
        f(os.path.join(out, name + ".qpod"))
    print(len(made), "cases in", out)


CASES = ["truncated-half", "truncated-end", "truncated-header", "extra-byte", "blob-missing", "blob-duplicated",
         "blob-unreferenced", "member-escapes", "member-unknown", "tar-size-beyond-file", "digest-escapes",
         "size-absurd", "size-negative", "size-outside-file", "rootfs-not-squashfs", "rootfs-wrong-compressor",
         "kernel-not-elf", "kernel-up-not-elf", "initrd-not-cpio", "firmware-odd-size", "launch-absurd-memory",
         "launch-bad-publish", "launch-not-json", "cmdline-control-bytes", "qpod-manifest-parts-missing",
         "qpod-manifest-wrong-type", "subject-not-image", "index-rewritten", "json-deep"]

if __name__ == "__main__":
    main()
