#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""image-config.py IN.tar OUT.tar JSON: a docker-save archive like IN.tar
whose image config has the keys of JSON (an object) set in its "config"
(a HEALTHCHECK, labels, a stop signal: what `docker build` would write for
a Dockerfile's HEALTHCHECK, LABEL, STOPSIGNAL). The config is renamed to
its new sha256, as docker save names it; the layers are copied as they are."""
import hashlib
import io
import json
import sys
import tarfile


def main(src, dst, patch):
    with tarfile.open(src) as t:
        members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    manifest = json.loads(members["manifest.json"])
    old = manifest[0]["Config"]
    cfg = json.loads(members.pop(old))
    cfg.setdefault("config", {}).update(json.loads(patch))
    data = json.dumps(cfg, separators=(",", ":")).encode()
    new = hashlib.sha256(data).hexdigest() + ".json"
    members[new] = data
    manifest[0]["Config"] = new
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(dst, "w") as out:
        for name, body in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mtime = 0
            out.addfile(info, io.BytesIO(body))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
