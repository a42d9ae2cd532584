#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""mkhostile.py OUTDIR TOKEN: write the archives test/hostile.bats feeds to
qpod-pack, one OUTDIR/<case>.tar per case (list: `mkhostile.py --list`).

Every archive is a well-formed docker-archive (manifest.json, config with
correct rootfs.diff_ids, layers) or OCI layout except for the one thing the
case is about, so the packer must find exactly that. Host paths that an
escape would create carry TOKEN (e.g. /tmp/qpod-hostile-TOKEN) so the test
can assert they do not exist afterwards.

Also writes a few valid-but-unusual archives (multi-image, FIFO-friendly
order, zstd, many entries) used by test/packer.bats.

Directory variants: every case whose outer archive can be a directory (not
truncated, no duplicate names) is also unpacked to OUTDIR/<case>.d, an image
directory the packer must judge as it judges the archive; and a few cases
exist only as directories (OUTDIR/dir_*.d): blob symlinks that leave the
directory, a symlinked blobs/, a huge index.json, a layer path with "..",
a FIFO for a layer, a tree nested too deep.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MTIME = 1700000000


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---- layer entries -------------------------------------------------------

def ti(name, type=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, link="", size=0, pax=None):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.uid, t.gid, t.linkname, t.size, t.mtime = type, mode, uid, gid, link, size, MTIME
    if pax:
        t.pax_headers = pax
    return t


def F(name, data=b"x\n", mode=0o644, **kw):
    return (ti(name, mode=mode, size=len(data), **kw), data)


def D(name, mode=0o755, **kw):
    return (ti(name, tarfile.DIRTYPE, mode=mode, **kw), None)


def L(name, target):
    return (ti(name, tarfile.SYMTYPE, mode=0o777, link=target), None)


def H(name, target):
    return (ti(name, tarfile.LNKTYPE, link=target), None)


def dev(name, major=1, minor=3):
    t = ti(name, tarfile.CHRTYPE, mode=0o666)
    t.devmajor, t.devminor = major, minor
    return (t, None)


def fifo(name):
    return (ti(name, tarfile.FIFOTYPE, mode=0o644), None)


def tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gz(b):
    return gzip.compress(b, mtime=0)


def zst(b):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=b, stdout=subprocess.PIPE, check=True).stdout


# ---- image archives --------------------------------------------------------

def config(diff_ids, arch="amd64", extra=None):
    c = {"architecture": arch, "os": "linux",
         "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]}}
    c.update(extra or {})
    return json.dumps(c, separators=(",", ":")).encode()


def outer(members, gzip_all=False):
    """members: list of (name, bytes) or (name, None, TarInfo-type, link)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for m in members:
            if len(m) == 2:
                name, data = m
                info = ti(name, size=len(data))
                t.addfile(info, io.BytesIO(data))
            else:
                name, _, typ, link = m
                t.addfile(ti(name, typ, mode=0o777, link=link))
    b = buf.getvalue()
    return gz(b) if gzip_all else b


def docker(layers, tags=("hostile:latest",), uncompressed=None, cfg_extra=None, arch="amd64",
           diff_ids=None, layer_names=None, cfg_name=None, manifest_edit=None, first=False):
    """A docker-archive. layers: blobs as stored; uncompressed: their tars
    (for diff_ids) when the blobs are compressed."""
    tars = uncompressed or layers
    ids = diff_ids or [sha(t) for t in tars]
    cfg = config(ids, arch, cfg_extra)
    cname = cfg_name or sha(cfg) + ".json"
    lnames = layer_names or ["%s/layer.tar" % sha(b)[:64] for b in layers]
    man = [{"Config": cname, "RepoTags": list(tags), "Layers": lnames}]
    if manifest_edit:
        manifest_edit(man)
    meta = [("manifest.json", json.dumps(man).encode()), (cname, cfg)]
    blobs = list(zip(lnames, layers))
    return outer(meta + blobs if first else blobs + meta)


def oci(layers, uncompressed=None, media="application/vnd.oci.image.layer.v1.tar", arch="amd64",
        index_edit=None, manifest_edit=None, blob_override=None, platform=True):
    tars = uncompressed or layers
    cfg = config([sha(t) for t in tars], arch)
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(cfg), "size": len(cfg)},
           "layers": [{"mediaType": media, "digest": "sha256:" + sha(b), "size": len(b)} for b in layers]}
    if manifest_edit:
        manifest_edit(man)
    mb = json.dumps(man).encode()
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(mb), "size": len(mb)}
    if platform:
        desc["platform"] = {"os": "linux", "architecture": arch}
    idx = {"schemaVersion": 2, "manifests": [desc]}
    if index_edit:
        index_edit(idx)
    blobs = {sha(b): b for b in layers + [cfg, mb]}
    blobs.update(blob_override or {})
    return outer([("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", json.dumps(idx).encode())] +
                 [("blobs/sha256/" + h, b) for h, b in blobs.items()])


def oci_merge(a, b, index_edit):
    """One OCI layout holding the images of layouts a and b (as archives)."""
    members, manifests = {}, []
    for arch in (a, b):
        with tarfile.open(fileobj=io.BytesIO(arch)) as t:
            for m in t.getmembers():
                data = t.extractfile(m).read()
                if m.name == "index.json":
                    manifests += json.loads(data)["manifests"]
                else:
                    members[m.name] = data
    idx = {"schemaVersion": 2, "manifests": manifests}
    index_edit(idx)
    return outer([("index.json", json.dumps(idx).encode())] + list(members.items()))


# ---- the cases ----------------------------------------------------------------

BASE = [D("bin/"), F("bin/sh", b"#!fake\n", 0o755), D("tmp/", 0o1777), D("etc/"), F("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")]


def cases(token):
    esc = "qpod-hostile-" + token
    c = {}
    # -- refused: names that climb out of the root
    c["dotdot"] = docker([tar(BASE + [F("../../../../../../../tmp/" + esc, b"pwned\n")])])
    c["dotdot_middle"] = docker([tar(BASE + [F("bin/../../" + esc, b"pwned\n")])])
    c["dotdot_dir"] = docker([tar(BASE + [D("../" + esc + "/")])])
    c["dotdot_symlink_name"] = docker([tar(BASE + [L("../" + esc, "/etc/passwd")])])
    c["hardlink_out"] = docker([tar(BASE + [H("bin/pw", "../../../../../../../etc/passwd")])])
    c["hardlink_abs_parent"] = docker([tar(BASE + [L("hostetc", "/etc/../../../../etc"), H("bin/pw", "hostetc/shadow")])])
    c["whiteout_dotdot"] = docker([tar(BASE), tar([D("etc/"), F("etc/.wh...", b"")])])
    c["whiteout_dotdot_dir"] = docker([tar(BASE), tar([F(".wh.../" + esc, b"")])])
    c["whiteout_climb"] = docker([tar(BASE), tar([F("../.wh." + esc, b"")])])
    c["whiteout_empty"] = docker([tar(BASE), tar([F("etc/.wh.", b"")])])
    c["long_component"] = docker([tar(BASE + [F("bin/" + "x" * 300, b"")])])
    c["symlink_loop"] = docker([tar(BASE + [L("a", "b"), L("b", "a"), F("a/x", b"")])])
    c["root_replaced"] = docker([tar(BASE + [L(".", "/etc")])])
    c["dangling_parent"] = docker([tar([L("gone", "/nowhere"), F("gone/x", b"")])])
    # -- refused: archive-level paths
    lt = tar(BASE)
    c["manifest_config_escape"] = docker([lt], manifest_edit=lambda m: m[0].update(Config="../" + esc + ".json"))
    c["manifest_config_abs"] = docker([lt], manifest_edit=lambda m: m[0].update(Config="/etc/passwd"))
    c["manifest_layer_escape"] = docker([lt], manifest_edit=lambda m: m[0].update(Layers=["../../../../etc/passwd"]))
    c["manifest_layer_abs"] = docker([lt], manifest_edit=lambda m: m[0].update(Layers=["/etc/passwd"]))
    cfg = config([sha(lt)])
    c["archive_symlink_escape"] = outer([
        ("manifest.json", json.dumps([{"Config": sha(cfg) + ".json", "RepoTags": ["x:1"], "Layers": ["l/layer.tar"]}]).encode()),
        (sha(cfg) + ".json", cfg), ("l/layer.tar", None, tarfile.SYMTYPE, "../../../../etc/passwd")])
    mb = {"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(cfg), "size": len(cfg)},
          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + sha(lt), "size": len(lt)}]}
    mbb = json.dumps(mb).encode()
    c["index_blob_symlink_escape"] = outer([
        ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
        ("index.json", json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(mbb), "size": len(mbb)}]}).encode()),
        ("blobs/sha256/" + sha(mbb), mbb), ("blobs/sha256/" + sha(cfg), cfg),
        ("blobs/sha256/" + sha(lt), None, tarfile.SYMTYPE, "../../../../../etc/passwd")])
    c["manifest_missing_layer"] = docker([lt], manifest_edit=lambda m: m[0]["Layers"].append("nothere/layer.tar"))
    c["manifest_not_json"] = outer([("manifest.json", b"[{\"Config\": ")] + [("x", b"y")])
    c["manifest_too_deep"] = outer([("manifest.json", b"[" * 100 + b"]" * 100)])
    c["not_an_image"] = outer([("hello.txt", b"hi\n")])
    dcfg = config([sha(lt)])
    dman = json.dumps([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["l.tar"]}]).encode()
    c["duplicate_member"] = outer([("l.tar", lt), ("l.tar", tar(BASE + [F("other", b"")])), ("c.json", dcfg), ("manifest.json", dman)])
    # -- refused: digests
    good = tar(BASE)
    bad = tar(BASE + [F("etc/extra", b"sneaked in\n")])
    c["diff_id_mismatch"] = docker([bad], diff_ids=[sha(good)])
    c["layer_name_digest_mismatch"] = docker([bad], layer_names=[sha(good) + ".tar"], diff_ids=[sha(good)])
    c["config_digest_mismatch"] = docker([good], cfg_name="sha256:" + "0" * 64)
    c["oci_blob_digest_mismatch"] = oci([good], blob_override={sha(good): bad})
    c["oci_blob_size_mismatch"] = oci([good], manifest_edit=lambda m: m["layers"][0].update(size=len(good) + 1))
    c["oci_config_missing"] = oci([good], manifest_edit=lambda m: m["config"].update(digest="sha256:" + "1" * 64))
    gcfg = config([sha(good)])
    c["oci_config_digest_mismatch"] = oci([good], blob_override={sha(gcfg): gcfg.replace(b'"sh"', b'"ls"')})
    c["oci_missing_blob"] = oci([good], manifest_edit=lambda m: m["layers"].append(
        {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + "2" * 64, "size": 3}))
    c["oci_sha512"] = oci([good], manifest_edit=lambda m: m["layers"][0].update(digest="sha512:" + "3" * 128))
    # -- refused: broken streams
    big = tar(BASE + [F("bin/big", os.urandom(300000))])
    c["truncated_tar"] = docker([big[:200000]], diff_ids=[sha(big)])
    c["truncated_gzip"] = docker([gz(big)[:100000]], uncompressed=[big])
    g = bytearray(gz(big))
    for i in range(2000, 2100):
        g[i] ^= 0x55
    c["corrupt_gzip"] = docker([bytes(g)], uncompressed=[big])
    z = bytearray(zst(big))
    for i in range(1000, 1100):
        z[i] ^= 0x55
    c["corrupt_zstd"] = docker([bytes(z)], uncompressed=[big])
    c["truncated_zstd"] = docker([zst(big)[:5000]], uncompressed=[big])
    c["truncated_outer"] = docker([big])[:250000]
    c["truncated_outer_gzip"] = gz(docker([big]))[:150000]
    c["garbage_layer"] = docker([b"\x04\x22\x4d\x18" + os.urandom(2000)])
    c["not_tar_layer"] = docker([b"just some text, not a tar stream\n" * 100])
    # -- refused: limits (run with --max-bytes 100K / --max-entries 50)
    c["big_file"] = docker([tar(BASE + [F("bin/big", b"\0" * 200000)])])
    many = [F("m/%05d" % i, b"") for i in range(300)]
    c["many_entries"] = docker([tar(BASE + [D("m/")] + many)])
    bomb = tar(BASE + [F("z%d" % i, b"\0" * 100000) for i in range(3)])
    c["gzip_bomb"] = docker([gz(bomb)], uncompressed=[bomb])
    # -- accepted, with checks in hostile.bats
    c["symlink_tmp_same_layer"] = docker([tar(BASE + [L("evil", "/tmp"), F("evil/" + esc, b"inside\n")])])
    c["symlink_tmp_later_layer"] = docker([tar(BASE + [L("evil", "/tmp")]), tar([F("evil/" + esc, b"inside\n")])])
    c["symlink_dotdot_later_layer"] = docker([tar(BASE + [L("up", "../../../../..")]), tar([F("up/" + esc, b"inside\n")])])
    c["merged_usr"] = docker([tar([D("usr/"), D("usr/bin/"), F("usr/bin/sh", b"#!\n", 0o755), L("bin", "usr/bin")]),
                              tar([F("bin/foo", b"foo\n", 0o755)])])
    c["absolute_names"] = docker([tar(BASE + [F("/etc/" + esc, b"inside\n"), F("//bin///abs", b"abs\n")])])
    c["device_nodes"] = docker([tar(BASE + [D("dev/"), dev("dev/null"), dev("dev/sda", 8, 0), fifo("dev/fifo")])])
    c["file_over_dir"] = docker([tar(BASE + [D("d/"), F("d/x"), D("d/sub/"), F("d/sub/y")]), tar([F("d", b"now a file\n")])])
    c["dir_over_symlink"] = docker([tar(BASE + [L("l", "/etc")]), tar([D("l/"), F("l/f", b"f\n")])])
    c["symlink_over_dir"] = docker([tar(BASE + [D("s/"), F("s/x")]), tar([L("s", "/bin")])])
    c["hardlink_to_symlink"] = docker([tar(BASE + [L("ln", "/etc/passwd"), H("hl", "ln")])])
    c["hardlink_through_symlink_dir"] = docker([tar(BASE + [L("e", "/etc"), H("bin/pw", "e/passwd")])])
    c["setuid"] = docker([tar(BASE + [F("bin/su", b"su\n", 0o4755), F("bin/wall", b"w\n", 0o2755, gid=5), D("stick/", 0o1777)])])
    c["opaque_same_layer"] = docker([tar(BASE + [D("o/"), F("o/lower")]),
                                     tar([D("o/"), F("o/before"), F("o/.wh..wh..opq", b""), F("o/after")])])
    c["whiteout_same_layer"] = docker([tar(BASE + [F("w1")]), tar([F("w2"), F(".wh.w2", b""), F(".wh.w1", b"")])])
    c["dotdot_inside"] = docker([tar(BASE + [F("bin/../etc/inside", b"ok\n")])])
    c["parents_missing"] = docker([tar([F("deep/er/file", b"x\n")])])
    c["xattrs"] = docker([tar(BASE + [F("bin/cap", b"c\n", 0o755, pax={"SCHILY.xattr.user.qpod": "yes"})])])
    c["zstd_layers"] = docker([zst(tar(BASE)), zst(tar([F("z", b"zstd\n")]))], uncompressed=[tar(BASE), tar([F("z", b"zstd\n")])])
    c["empty_layer"] = docker([tar(BASE), b""], uncompressed=[tar(BASE), b""])
    c["arm64_only"] = docker([tar(BASE)], arch="arm64")
    # -- valid archives for packer.bats
    one = tar(BASE + [F("which", b"one\n")])
    two = tar(BASE + [F("which", b"two\n")])
    c1, c2 = config([sha(one)], extra={"config": {"Cmd": ["one"]}}), config([sha(two)], extra={"config": {"Cmd": ["two"]}})
    c["multi"] = outer([
        ("manifest.json", json.dumps([
            {"Config": sha(c1) + ".json", "RepoTags": ["qpod/one:1", "qpod/one:latest"], "Layers": [sha(one) + ".tar"]},
            {"Config": sha(c2) + ".json", "RepoTags": ["localhost:5000/two:2"], "Layers": [sha(two) + ".tar"]}]).encode()),
        (sha(c1) + ".json", c1), (sha(c2) + ".json", c2), (sha(one) + ".tar", one), (sha(two) + ".tar", two)])
    def named(idx, names):
        for m, n in zip(idx["manifests"], names):
            m["annotations"] = {"org.opencontainers.image.ref.name": n}
    oa = oci([one])
    ob = oci([two])
    c["oci_multi"] = oci_merge(oa, ob, lambda idx: named(idx, ["one", "docker.io/qpod/two:2"]))
    big2 = tar(BASE + [F("big/%03d" % i, os.urandom(1 << 20)) for i in range(48)])
    c["stream_big"] = docker([big2], first=True)
    return c


# ---- directory variants ----------------------------------------------------------

NO_DIR = {"duplicate_member", "not_an_image", "truncated_outer", "truncated_outer_gzip"}


def unpack_dir(data, d):
    """Write an outer archive's members as files, directories and symlinks
    under d (our own archives: names never climb out)."""
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            p = os.path.join(d, m.name)
            assert os.path.abspath(p).startswith(os.path.abspath(d) + os.sep)
            if m.isdir():
                os.makedirs(p, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if m.issym():
                os.symlink(m.linkname, p)
            elif m.isfile():
                with open(p, "wb") as f:
                    f.write(t.extractfile(m).read())


def write_tree(d, files):
    """files: {relative name: bytes | ("symlink", target) | ("fifo",)}"""
    for name, v in files.items():
        p = os.path.join(d, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(v, tuple) and v[0] == "symlink":
            os.symlink(v[1], p)
        elif isinstance(v, tuple) and v[0] == "fifo":
            os.mkfifo(p)
        else:
            with open(p, "wb") as f:
                f.write(v)


def oci_files(layers):
    """An OCI layout's files for layers, and the layer digests."""
    cfg = config([sha(t) for t in layers])
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(cfg), "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + sha(b), "size": len(b)} for b in layers]}).encode()
    idx = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                         "digest": "sha256:" + sha(man), "size": len(man)}]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": idx}
    for b in layers + [cfg, man]:
        files["blobs/sha256/" + sha(b)] = b
    return files


def docker_files(layer_names, layers):
    cfg = config([sha(t) for t in layers])
    man = json.dumps([{"Config": sha(cfg) + ".json", "RepoTags": ["hostile:latest"], "Layers": layer_names}]).encode()
    return {"manifest.json": man, sha(cfg) + ".json": cfg}


def dir_cases(out):
    lt = tar(BASE)
    outside = os.path.join(out, "outside")
    write_tree(outside, {"layer.tar": lt, "blobs/sha256/" + sha(lt): lt})
    c = {}
    f = oci_files([lt])
    f["blobs/sha256/" + sha(lt)] = ("symlink", "/etc/passwd")
    c["dir_blob_symlink_abs"] = f
    f = oci_files([lt])
    f["blobs/sha256/" + sha(lt)] = ("symlink", "../../../outside/layer.tar")
    c["dir_blob_symlink_dotdot"] = f
    f = {k: v for k, v in oci_files([lt]).items() if not k.startswith("blobs/")}
    for k, v in oci_files([lt]).items():
        if k.startswith("blobs/"):
            write_tree(os.path.join(out, "outside-blobs"), {k[len("blobs/"):]: v})
    f["blobs"] = ("symlink", "../outside-blobs")
    c["dir_blobs_symlinked"] = f
    f = oci_files([lt])
    f["index.json"] = b'{"schemaVersion":2,"manifests":[],"pad":"' + b"A" * (17 << 20) + b'"}'
    c["dir_index_huge"] = f
    f = docker_files(["../outside/layer.tar"], [lt])
    c["dir_layer_dotdot"] = f
    f = docker_files(["l/layer.tar"], [lt])
    f["l/layer.tar"] = ("fifo",)
    c["dir_layer_fifo"] = f
    f = docker_files(["l/layer.tar"], [lt])
    f["l/layer.tar"] = lt
    f["/".join(["d"] * 20) + "/x"] = b"deep\n"
    c["dir_too_deep"] = f
    for name, files in c.items():
        write_tree(os.path.join(out, name + ".d"), files)


def main():
    if sys.argv[1:2] == ["--list"]:
        print("\n".join(cases("x")))
        return
    out, token = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, data in cases(token).items():
        with open(os.path.join(out, name + ".tar"), "wb") as f:
            f.write(data)
        if name not in NO_DIR:
            unpack_dir(data, os.path.join(out, name + ".d"))
    dir_cases(out)


if __name__ == "__main__":
    main()
