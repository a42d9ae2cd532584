# SPDX-License-Identifier: Apache-2.0
"""provenance.py: what buildinfo.py, sbom.py and legal-info.py share.

  table(path)      toolchain/provenance read for the guest's architecture
                   (ARCH): ({file: [source...]}, {source: licence}); an
                   unknown line or a file's source without a licence
                   raises Error
  ARCH             the guest's architecture, qpod's name (configs/arch/):
                   $QPOD_ARCH (make passes it), else the host's
  deb(package)     a Debian package as dpkg has it, for the build's own
                   architecture (or all; PACKAGE:ARCH for that Debian
                   architecture): {"package", "version", "arch", "source",
                   "source_version"}; Error if absent
  orig(hashfile)   a pinned orig tarball: {"name", "source", "version",
                   "sha256"} (firmware/qboot.hash: qemu 7.2+dfsg)
  qpod()           {"version": QPOD_VERSION, "commit": git HEAD or
                   "unknown", "changed": tracked files differ from HEAD}
  externals(obj, dirs)  each tree: {"dir", "name", "license", "sha256",
                   "kernel": it has fragments or patches, "initrd": it has
                   an initrd.spec, "added": files its post-build hook added}
  licence_and(exprs)    one SPDX expression: each once, sorted, joined by
                   AND, an OR expression in parentheses
  epoch()          SOURCE_DATE_EPOCH (the build's), as int
  run(main, what)  main(sys.argv); an Error exits 1 with "what: why"
  dump(doc)        doc as indented JSON on stdout, one newline after

Everything is read from the machine and the repository, never the network.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ARCH = os.environ.get("QPOD_ARCH") or {"aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


class Error(Exception):
    pass


def table(path):
    """'file NAME' rows hold for every arch, 'file@ARCH NAME' rows for ARCH
    alone, over a 'file NAME' row; deb:PACKAGE:DEBARCH has PACKAGE's licence."""
    files, own, licences = {}, {}, {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] == "source" and len(words) >= 3:
                licences[words[1]] = " ".join(words[2:])
            elif words[0] == "file" and len(words) >= 3:
                files[words[1]] = words[2:]
            elif words[0].startswith("file@") and len(words) >= 3:
                if words[0] == "file@" + ARCH:
                    own[words[1]] = words[2:]
            else:
                raise Error(f"{path}:{n}: not 'source SOURCE LICENSE' or 'file[@ARCH] NAME SOURCE...'")
    files.update(own)
    for sources in files.values():
        for s in sources:
            if s.startswith("deb:") and s.count(":") == 2 and s not in licences and s.rsplit(":", 1)[0] in licences:
                licences[s] = licences[s.rsplit(":", 1)[0]]
    for name, sources in files.items():
        for s in sources:
            if not s.startswith("file:") and s not in licences:
                raise Error(f"{path}: {name}'s source {s} has no 'source {s} LICENSE' line")
            if s.startswith("file:") and s[5:] not in files:
                raise Error(f"{path}: {name} holds {s[5:]}, which is no file of the table")
    return files, licences


def deb(package):
    fmt = "${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${Status}\n"
    want = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    if ":" in package:
        want = package.split(":", 1)[1]
    r = subprocess.run(["dpkg-query", "-W", "-f", fmt, package], capture_output=True, text=True)
    for line in r.stdout.splitlines():  # one a line per architecture installed: the build's own
        fields = line.split("\t")
        if len(fields) == 6 and fields[2] in (want, "all") and fields[5].endswith(" installed"):
            return dict(zip(("package", "version", "arch", "source", "source_version"), fields[:5]))
    if ":" in package:  # another arch's package, unpacked, not installed (toolchain/debunpack.sh)
        return _apt(package)
    raise Error(f"Debian package {package} is not installed (make deps)")


def _apt(package):
    """PACKAGE:ARCH as apt's signed lists have its candidate, the version
    debunpack.sh fetches."""
    r = subprocess.run(["apt-cache", "show", "--no-all-versions", package], capture_output=True, text=True)
    f = {}
    for line in r.stdout.splitlines():
        if not line.strip():
            break
        if ":" in line and not line.startswith(" "):
            k, v = line.split(":", 1)
            f[k] = v.strip()
    if "Version" not in f:
        raise Error(f"Debian package {package} is not in apt's lists (make deps)")
    src, _, sver = f.get("Source", f["Package"]).partition(" ")
    return {"package": f["Package"], "version": f["Version"], "arch": f["Architecture"], "source": src,
            "source_version": sver.strip("()") or f["Version"]}


def orig(hashfile):
    path = os.path.join(REPO, hashfile)
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[0] == "sha256":
                name = w[2]
                source, rest = name.split("_", 1)
                return {"name": name, "source": source, "version": rest.split(".orig.")[0], "sha256": w[1]}
    raise Error(f"{hashfile} has no 'sha256 HEX NAME' line")


def qpod():
    def git(*args):
        r = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True)
        return r.returncode, r.stdout.strip()
    rc, commit = git("rev-parse", "HEAD")
    changed = rc == 0 and git("diff", "--quiet", "HEAD", "--")[0] != 0
    return {"version": os.environ.get("QPOD_VERSION", "0.1.0"), "commit": commit if rc == 0 else "unknown",
            "changed": changed}


def externals(obj, dirs):
    out = []
    for d in dirs:
        sh = os.path.join(HERE, "external.sh")
        name = subprocess.run([sh, "name", d], capture_output=True, text=True, check=True).stdout.strip()
        digest = subprocess.run([sh, "digest", d], capture_output=True, text=True, check=True).stdout.strip()
        lic = ""
        with open(os.path.join(d, "external.desc")) as f:
            for line in f:
                if line.startswith("license:"):
                    lic = line.split(":", 1)[1].strip()
                    break
        kdir = os.path.join(d, "kernel")
        kernel = os.path.isdir(kdir) and any(n.endswith((".config", ".patch")) for n in os.listdir(kdir))
        added_path = os.path.join(obj, "external", "added." + name)
        added = []
        if os.path.exists(added_path):
            with open(added_path) as f:
                added = sorted(line.strip() for line in f if line.strip())
        out.append({"dir": d, "name": name, "license": lic, "sha256": digest, "kernel": kernel,
                    "initrd": os.path.isfile(os.path.join(d, "initrd", "initrd.spec")), "added": added})
    return out


def _and_terms(e):
    """The top-level AND terms of an SPDX expression, an OR in parentheses."""
    terms, depth, cur = [], 0, ""
    for word in e.replace("(", " ( ").replace(")", " ) ").split():
        depth += (word == "(") - (word == ")")
        if word == "AND" and depth == 0:
            terms.append(cur.strip())
            cur = ""
        else:
            cur += " " + word
    terms.append(cur.strip())
    out = []
    for t in terms:
        t = t.replace("( ", "(").replace(" )", ")")
        out.append(f"({t})" if " OR " in t and not (t.startswith("(") and t.endswith(")")) else t)
    return out


def licence_and(exprs):
    parts = sorted({t for e in exprs for t in _and_terms(e)})
    return " AND ".join(parts) if parts else "NOASSERTION"


def epoch():
    return int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


def run(main, what):
    try:
        main(sys.argv)
    except Error as e:
        sys.exit(f"{what}: {e}")


def dump(doc):
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
