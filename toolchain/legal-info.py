#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""legal-info.py O CACHE [EXTERNAL...]: $(O)/legal-info, Buildroot's
legal-info for what `make image` and `qpod bundle` ship.

Reads O/images/sbom.spdx.json (every image file, its sha256, the packages
it is GENERATED_FROM) and toolchain/provenance's rows for the runner
(bin/qpod) and a bundle's own parts (bundle:NAME), and writes:

  manifest.csv      file,sha256,package,version,license: one row per shipped
                    file and source (a bundle's parts have no sha256 of
                    their own: they are made per bundle)
  sources.csv       package,version,license,dsc,dsc_sha256,dsc_state: each
                    Debian source package, its .dsc as Debian's signed index
                    names it (toolchain/debsrc.sh; dsc_state "fetched": in
                    sources/, "missing": the mirror did not serve it, the
                    sha256 still pins it)
  README            this, as a table a person reads
  licenses/NAME     each Debian package's copyright file; qpod's LICENSE and
                    LICENSES/; an external tree's LICENSE* files
  sources/          the .dsc files; and the full source of what qpod
                    changes, which no Debian archive has: linux-source-6.1's
                    tarball with kernel/patches (and the trees' kernel
                    patches), qboot (roms/qboot of the pinned qemu orig
                    tarball, O/obj/firmware/qboot-src) with firmware/*.patch

The folder is made anew each time; the .dsc files are kept in CACHE/dl.
"""
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provenance as pv  # noqa: E402

README = """qpod legal-info: what `make image` and `qpod bundle` ship, where each
file comes from, under which licence, and the sources.

manifest.csv  every shipped file with each of its sources, version, licence
sources.csv   every Debian source package, with its .dsc as Debian's signed
              index names it (sha256); the .dsc files are in sources/
licenses/     the licence and copyright texts
sources/      the .dsc files, and the full source of what qpod changes:
              the kernel (linux-source-6.1 + patches) and qboot (+ patch).
              Any other source: `apt-get source PACKAGE=VERSION` (Debian 12).

A bundle also ships its image's own root (rootfs.squashfs and the image
layer): its provenance is the image's.

"""


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: legal-info.py O CACHE [EXTERNAL...]")
    o, cache, dirs = argv[1], argv[2], argv[3:]
    img, out = os.path.join(o, "images"), os.path.join(o, "legal-info")
    with open(os.path.join(img, "sbom.spdx.json")) as f:
        sbom = json.load(f)
    table, licences = pv.table(os.path.join(pv.HERE, "provenance"))
    byid = {p["SPDXID"]: p for p in sbom["packages"]}
    origin = {}  # SPDX package id -> its provenance source (deb:BIN, orig:..., qpod, external:NAME)
    for p in sbom["packages"]:
        for r in p.get("externalRefs", []):
            if r["referenceType"] == "purl" and r["referenceLocator"].startswith("pkg:deb/"):
                origin[p["SPDXID"]] = "deb:" + r["referenceLocator"].split("/")[2].split("@")[0]
    shutil.rmtree(out, ignore_errors=True)
    for d in ("licenses", "sources"):
        os.makedirs(os.path.join(out, d))

    rows, debs = [], set()
    for f in sbom["files"]:
        sha = next(c["checksumValue"] for c in f["checksums"] if c["algorithm"] == "SHA256")
        for r in sbom["relationships"]:
            if r["spdxElementId"] == f["SPDXID"] and r["relationshipType"] == "GENERATED_FROM":
                p = byid[r["relatedSpdxElement"]]
                rows.append([f["fileName"][2:], sha, p["name"], p["versionInfo"], p["licenseConcluded"]])
                if p["SPDXID"] in origin:
                    debs.add(origin[p["SPDXID"]][4:])
    q = pv.qpod()
    for name, srcs in sorted(table.items()):
        if not name.startswith(("bin/", "bundle:")):
            continue
        path = os.path.join(o, name)
        sha = subprocess.run(["sha256sum", path], capture_output=True, text=True).stdout[:64] if os.path.isfile(path) else ""
        for s in srcs:
            if s == "image":
                rows.append([name, sha, "image", "the image's", "NOASSERTION"])
            elif s.startswith("deb:"):
                d = pv.deb(s[4:])
                debs.add(s[4:])
                rows.append([name, sha, d["source"], d["source_version"], licences[s]])
            else:
                rows.append([name, sha, "qpod", q["version"] + "+g" + q["commit"][:12], licences[s]])
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "sha256", "package", "version", "license"])
        w.writerows(sorted(rows))

    # Licences: Debian's copyright files, qpod's, the trees'.
    for b in sorted(debs):
        shutil.copy(f"/usr/share/doc/{b}/copyright", os.path.join(out, "licenses", b + ".copyright"))
    os.makedirs(os.path.join(out, "licenses", "qpod"))
    shutil.copy(os.path.join(pv.REPO, "LICENSE"), os.path.join(out, "licenses", "qpod", "LICENSE"))
    for t in sorted(glob.glob(os.path.join(pv.REPO, "LICENSES", "*.txt"))):
        shutil.copy(t, os.path.join(out, "licenses", "qpod", os.path.basename(t)))
    for t in pv.externals(os.path.join(o, "obj"), dirs):
        for lic in sorted(glob.glob(os.path.join(t["dir"], "LICENSE*"))):
            os.makedirs(os.path.join(out, "licenses", "external-" + t["name"]), exist_ok=True)
            shutil.copy(lic, os.path.join(out, "licenses", "external-" + t["name"]))

    # Sources: each Debian source package's .dsc, as the signed index names it.
    debsrc = os.path.join(pv.HERE, "debsrc.sh")
    subprocess.run([debsrc, cache, "update"], check=True)
    bysource = {}
    for b in sorted(debs):
        d = pv.deb(b)
        bysource.setdefault((d["source"], d["source_version"]), []).append(licences["deb:" + b])
    srows = []
    for (source, version), lics in sorted(bysource.items()):
        r = subprocess.run([debsrc, cache, "dsc", source, version, os.path.join(out, "sources")],
                           capture_output=True, text=True)
        sys.stderr.write(r.stderr)
        if r.returncode:
            raise pv.Error(f"no .dsc for {source} {version}")
        name, sha, state, _url = r.stdout.split()
        srows.append([source, version, pv.licence_and(lics), name, sha, state])
    with open(os.path.join(out, "sources.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["package", "version", "license", "dsc", "dsc_sha256", "dsc_state"])
        w.writerows(srows)

    # The full source of what qpod changes.
    src = os.path.join(out, "sources")
    link_or_copy("/usr/src/linux-source-6.1.tar.xz", os.path.join(src, "linux-source-6.1.tar.xz"))
    os.makedirs(os.path.join(src, "kernel-patches"))
    patches = sorted(glob.glob(os.path.join(pv.REPO, "kernel", "patches", "*.patch")))
    for d in dirs:
        patches += sorted(glob.glob(os.path.join(d, "kernel", "*.patch")))
    for i, p in enumerate(patches):
        shutil.copy(p, os.path.join(src, "kernel-patches", f"{i:02d}-{os.path.basename(p)}"))
    qsrc = os.path.join(o, "obj", "firmware", "qboot-src")
    o_ = pv.orig("firmware/qboot.hash")
    with tarfile.open(os.path.join(src, f"qboot-{o_['version']}.tar"), "w", format=tarfile.PAX_FORMAT) as t:
        for root, dnames, fnames in os.walk(qsrc):
            dnames.sort()
            for n in sorted(fnames):
                p = os.path.join(root, n)
                info = t.gettarinfo(p, "qboot/" + os.path.relpath(p, qsrc))
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = pv.epoch()
                with open(p, "rb") as fh:
                    t.addfile(info, fh)
    for p in sorted(glob.glob(os.path.join(pv.REPO, "firmware", "[0-9][0-9][0-9][0-9]-*.patch"))):
        shutil.copy(p, os.path.join(src, "qboot-" + os.path.basename(p)))

    with open(os.path.join(out, "README"), "w") as f:
        f.write(README)
        width = max(len(r[0]) for r in rows)
        for r in sorted(rows):
            f.write(f"{r[0]:<{width}}  {r[2]} {r[3]}  ({r[4]})\n")
        f.write("\nsource packages (the .dsc's sha256 from Debian's signed index):\n")
        for r in srows:
            f.write(f"  {r[0]} {r[1]}  {r[3]} {r[4]} ({r[5]})\n")
    print(f"legal-info: {out} ({len(rows)} rows, {len(srows)} source packages)", file=sys.stderr)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (pv.Error, subprocess.CalledProcessError, OSError) as e:
        sys.exit(f"legal-info: {e}")
