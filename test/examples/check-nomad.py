#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""check-nomad.py FILE: a Nomad job file parses as HCL (Debian's
python3-pyhcl) and uses only the blocks and attributes Nomad's job
specification has, with the types it wants, for the blocks listed below
(those a qpod job needs; a block not listed is an error, so the list grows
with the examples). Prints one line per problem; exits 1 if any.

The keys are Nomad 1.x's (developer.hashicorp.com/nomad/docs/job-specification):
job, group, task, restart, reschedule, artifact, env, resources, and the
raw_exec driver's config."""
import sys

import hcl

STR, INT, BOOL, LIST, MAP = str, int, bool, list, dict
SCHEMA = {
    "job": {"type": STR, "datacenters": LIST, "region": STR, "namespace": STR,
            "priority": INT, "all_at_once": BOOL, "group": "group", "meta": MAP},
    "group": {"count": INT, "restart": "restart", "reschedule": "reschedule",
              "task": "task", "meta": MAP},
    "restart": {"attempts": INT, "delay": STR, "interval": STR, "mode": STR},
    "reschedule": {"attempts": INT, "interval": STR, "delay": STR,
                   "delay_function": STR, "max_delay": STR, "unlimited": BOOL},
    "task": {"driver": STR, "user": STR, "artifact": "artifact", "env": MAP,
             "config": "config", "resources": "resources", "kill_timeout": STR,
             "kill_signal": STR, "leader": BOOL, "meta": MAP},
    "artifact": {"source": STR, "destination": STR, "mode": STR, "options": MAP,
                 "headers": MAP, "chown": BOOL},
    "resources": {"cpu": INT, "cores": INT, "memory": INT, "memory_max": INT},
    "config": {"command": STR, "args": LIST},  # raw_exec and exec
}
LABELED = {"job", "group", "task"}  # blocks with a name label
ENUMS = {("task", "driver"): {"raw_exec", "exec"}, ("restart", "mode"): {"fail", "delay"},
         ("artifact", "mode"): {"any", "file", "dir"}, ("job", "type"): {"batch", "service", "sysbatch", "system"}}


def walk(kind, body, path, out):
    if not isinstance(body, dict):
        out.append(f"{path}: a {kind} block must be a block")
        return
    for key, val in body.items():
        want = SCHEMA[kind].get(key)
        where = f"{path}.{key}"
        if want is None:
            out.append(f"{where}: not an attribute or block of {kind}")
        elif isinstance(want, str):
            items = val if isinstance(val, list) else [val]
            for i, item in enumerate(items):
                if want in LABELED:
                    if not isinstance(item, dict) or len(item) < 1:
                        out.append(f"{where}: a {want} needs a name")
                        continue
                    for name, inner in item.items():
                        walk(want, inner, f"{where}.{name}", out)
                else:
                    walk(want, item, f"{where}[{i}]" if len(items) > 1 else where, out)
        elif not isinstance(val, want) or (want is INT and isinstance(val, bool)):
            out.append(f"{where}: {val!r} is not a {want.__name__}")
        elif (kind, key) in ENUMS and val not in ENUMS[(kind, key)]:
            out.append(f"{where}: {val!r} is not one of {sorted(ENUMS[(kind, key)])}")


def main():
    if len(sys.argv) != 2:
        print("usage: check-nomad.py FILE")
        return 1
    out = []
    try:
        with open(sys.argv[1]) as f:
            doc = hcl.load(f)
    except Exception as e:  # pyhcl raises its own ValueError subclasses
        print(f"{sys.argv[1]}: not HCL: {e}")
        return 1
    if set(doc) != {"job"}:
        out.append(f"{sys.argv[1]}: the file must hold one job block")
    else:
        for name, body in doc["job"].items():
            walk("job", body, f"job.{name}", out)
    for p in out:
        print(p)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
