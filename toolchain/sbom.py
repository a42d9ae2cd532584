#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""sbom.py IMAGES OBJ [EXTERNAL...] > sbom.spdx.json: the images' SBOM.

An SPDX 2.3 JSON document (test/schemas/spdx-schema-2.3.json checks it)
describing one package, qpod-images, that CONTAINS every regular file of
IMAGES but sbom.spdx.json and manifest.json (which lists this one) and
*.tmp. Each file has its SHA1 and SHA256, the licence of what it is made of
(licenseConcluded: its sources' licences ANDed) and a comment naming its
sources with their versions; it is GENERATED_FROM each source's package,
and a container (cbfs.rom) CONTAINS the files it holds.

Sources come from toolchain/provenance (provenance.py): a Debian package is
an SPDX package named after its source package, at its source version, with
a purl of the binary package; the pinned orig tarball carries its sha256;
qpod is one package (its commit); an external tree is a package named
external-NAME at the sha256 of the tree, and a source of every file it adds
and of the images it changes (kernel: vmlinuz, vmlinux, vmlinux-up or Image
and the configs; initrd.img; and so cbfs.rom). A file no row names, and that no
tree added, fails: every shipped byte has a source and a licence.

Deterministic: created is SOURCE_DATE_EPOCH; documentNamespace is derived
from the files' sha256s; lists sorted; same images, same bytes.
"""
import hashlib
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provenance as pv  # noqa: E402

KERNEL_FILES = ["vmlinuz", "vmlinux", "vmlinux-up", "Image", "kernel.config", "kernel-up.config"]
SKIP = {"sbom.spdx.json", "manifest.json"}


def spdxid(kind, name):
    return f"SPDXRef-{kind}-" + re.sub(r"[^A-Za-z0-9.-]", "-", name)


def digests(path):
    s1, s256 = hashlib.sha1(), hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            s1.update(block)
            s256.update(block)
    return s1.hexdigest(), s256.hexdigest()


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: sbom.py IMAGES OBJ [EXTERNAL...]")
    img, obj, dirs = argv[1], argv[2], argv[3:]
    table, licences = pv.table(os.path.join(pv.HERE, "provenance"))
    q = pv.qpod()
    qver = q["version"] + ("+g" + q["commit"][:12] if q["commit"] != "unknown" else "")
    trees = pv.externals(obj, dirs)
    names = sorted(n for n in os.listdir(img)
                   if os.path.isfile(os.path.join(img, n)) and n not in SKIP and not n.endswith(".tmp"))
    sources = {n: list(table.get(n, [])) for n in names}
    for t in trees:
        src = "external:" + t["name"]
        licences[src] = t["license"]
        changed = (KERNEL_FILES if t["kernel"] else []) + (["initrd.img"] if t["initrd"] else []) + t["added"]
        for n in changed:
            if n in sources:
                sources[n].append(src)
    missing = [n for n in names if not sources[n]]
    if missing:
        raise pv.Error(f"no provenance for {', '.join(missing)}: add a 'file' row to toolchain/provenance")

    packages, pkgid, about = {}, {}, {}

    def package(src):
        if src.startswith("file:"):
            return None
        key = src.split(":")[0] if src.startswith("qpod") else src
        if key in packages:
            return packages[key]
        p = {"filesAnalyzed": False, "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
             "downloadLocation": "NOASSERTION"}
        if key == "qpod":
            p.update(name="qpod", versionInfo=qver, SPDXID=spdxid("Package", "qpod"),
                     licenseConcluded=pv.licence_and(v for k, v in licences.items() if k.startswith("qpod")),
                     comment="this repository: " + ("commit " + q["commit"] if q["commit"] != "unknown"
                                                    else "no git checkout") + (", changed" if q["changed"] else ""))
            about[key] = f"qpod {qver}"
        elif key.startswith("deb:"):
            d = pv.deb(key[4:])
            p.update(name=d["source"], versionInfo=d["source_version"], SPDXID=spdxid("Package", "deb-" + d["package"]),
                     supplier="Organization: Debian", licenseConcluded=licences[src],
                     comment=f"Debian source package {d['source']} {d['source_version']}, "
                             f"binary package {d['package']} {d['version']} ({d['arch']})",
                     externalRefs=[{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                    "referenceLocator": f"pkg:deb/debian/{d['package']}@{d['version']}?arch={d['arch']}"}])
            about[key] = f"{d['source']} {d['source_version']} ({d['package']})"
        elif key.startswith("orig:"):
            o = pv.orig(key[5:])
            p.update(name=o["source"], versionInfo=o["version"], SPDXID=spdxid("Package", "orig-" + o["source"]),
                     supplier="Organization: Debian", licenseConcluded=licences[src], packageFileName=o["name"],
                     checksums=[{"algorithm": "SHA256", "checksumValue": o["sha256"]}],
                     comment=f"the Debian orig tarball {o['name']}, pinned by {key[5:]}")
            about[key] = f"{o['source']} {o['version']} ({o['name']})"
        elif key.startswith("external:"):
            t = next(t for t in trees if t["name"] == key[9:])
            p.update(name="external-" + t["name"], versionInfo=t["sha256"], SPDXID=spdxid("Package", key.replace(":", "-")),
                     licenseConcluded=t["license"], comment="an external tree (make EXTERNAL=); version: sha256 of its files")
            about[key] = f"external tree {t['name']} {t['sha256'][:12]}"
        packages[key] = p
        pkgid[src] = p["SPDXID"]
        return p

    def flat(n, seen=()):  # a file's sources, through the files it holds
        out = []
        for s in sources[n]:
            out += flat(s[5:], seen + (n,)) if s.startswith("file:") and s[5:] not in seen else [s]
        return out

    files, rels = [], []
    top = "SPDXRef-Package-qpod-images"
    for n in names:
        sha1, sha256 = digests(os.path.join(img, n))
        srcs = flat(n)
        for s in srcs:
            package(s)
            pkgid[s] = packages[s.split(":")[0] if s.startswith("qpod") else s]["SPDXID"]
        fid = spdxid("File", n)
        files.append({"SPDXID": fid, "fileName": "./" + n,
                      "checksums": [{"algorithm": "SHA1", "checksumValue": sha1},
                                    {"algorithm": "SHA256", "checksumValue": sha256}],
                      "licenseConcluded": pv.licence_and(licences[s] for s in srcs),
                      "copyrightText": "NOASSERTION",
                      "comment": "from " + ", ".join(sorted({about[s.split(':')[0] if s.startswith('qpod') else s]
                                                             for s in srcs}))})
        rels.append((top, "CONTAINS", fid))
        for s in srcs:
            rels.append((fid, "GENERATED_FROM", pkgid[s]))
        for s in sources[n]:
            if s.startswith("file:"):
                rels.append((fid, "CONTAINS", spdxid("File", s[5:])))
    listing = "".join(f"{f['fileName']} {f['checksums'][1]['checksumValue']}\n" for f in files)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(pv.epoch()))
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "qpod-images",
        "documentNamespace": "https://qpod.invalid/spdx/images/" + hashlib.sha256(listing.encode()).hexdigest(),
        "creationInfo": {"created": created, "creators": [f"Tool: qpod-sbom.py-{q['version']}"]},
        "documentDescribes": [top],
        "packages": [{"SPDXID": top, "name": "qpod-images", "versionInfo": qver, "filesAnalyzed": False,
                      "downloadLocation": "NOASSERTION", "licenseConcluded": pv.licence_and(f["licenseConcluded"] for f in files),
                      "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
                      "comment": "the boot images of `make image` ($(O)/images)"}]
                    + sorted(packages.values(), key=lambda p: p["SPDXID"]),
        "files": files,
        "relationships": [{"spdxElementId": a, "relationshipType": r, "relatedSpdxElement": b}
                          for a, r, b in sorted(set(rels))],
    }
    refs = sorted(set(re.findall(r"LicenseRef-[A-Za-z0-9.-]+", json.dumps(doc))))
    if refs:
        doc["hasExtractedLicensingInfos"] = [{"licenseId": r, "extractedText": "see the package's Debian copyright file",
                                              "name": r[11:]} for r in refs]
    pv.dump(doc)


if __name__ == "__main__":
    pv.run(main, "sbom")
