#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""check-kubernetes.py FILE...: every document of each YAML file is exact to
the Kubernetes API, as Debian's python3-kubernetes (the 1.22 API) models it.

A document is read into the model of its kind (batch/v1 Job -> V1Job, ...)
and written back: a field the API does not have is dropped on the way in,
a wrong type fails it, a missing required field fails it. The document must
come back unchanged. Prints one line per problem; exits 1 if any."""
import json
import sys

import yaml
from kubernetes import client


class Response:  # what ApiClient.deserialize reads
    def __init__(self, doc):
        self.data = json.dumps(doc)


def model_name(doc):
    group_version = doc.get("apiVersion", "")
    version = group_version.split("/")[-1]
    return version[:1].upper() + version[1:] + doc.get("kind", "")


def diff(want, got, path, out):
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append(f"{path}.{k}: not a field of the API (or a wrong type)")
            elif k not in want:
                out.append(f"{path}.{k}: added by the API model")
            else:
                diff(want[k], got[k], f"{path}.{k}", out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got)):
            diff(a, b, f"{path}[{i}]", out)
    elif want != got:
        out.append(f"{path}: {want!r} reads back as {got!r}")


def check(path):
    api = client.ApiClient()
    problems = []
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if not docs:
        problems.append(f"{path}: no documents")
    for n, doc in enumerate(docs):
        name = model_name(doc)
        if not hasattr(client, name):
            problems.append(f"{path}#{n}: no API kind {doc.get('apiVersion')}/{doc.get('kind')}")
            continue
        try:
            obj = api.deserialize(Response(doc), name)
        except (ValueError, TypeError) as e:
            problems.append(f"{path}#{n} {name}: {e}")
            continue
        out = []
        diff(doc, api.sanitize_for_serialization(obj), f"{path}#{n}", out)
        problems += out
    return problems


def main():
    problems = [p for f in sys.argv[1:] for p in check(f)]
    for p in problems:
        print(p)
    return 1 if problems or len(sys.argv) < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
