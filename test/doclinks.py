#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""doclinks.py FILE.md...: every relative link of each file ([text](path),
[text](path#heading), [text](#heading)) names a file or folder that exists
and, for a Markdown file, a heading it has (GitHub's anchors: lower case,
punctuation but - and _ dropped, spaces to -). Links inside ``` blocks are
not links. Prints one line per broken link; exit 1 if there is one."""
import os
import re
import sys


def anchors(path):
    out = set()
    fenced = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fenced = not fenced
            m = None if fenced else re.match(r"#+ (.*)", line)
            if m:
                out.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return out


def main(files):
    bad = 0
    for md in files:
        with open(md, encoding="utf-8") as f:
            text = re.sub(r"^```.*?^```", "", f.read(), flags=re.S | re.M)
        for m in re.finditer(r"\]\(([^)\s]+)\)", text):
            target = m.group(1)
            if re.match(r"[a-z]+:", target):
                continue
            path, _, frag = target.partition("#")
            full = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
            if not os.path.exists(full):
                print(f"{md}: {target}: no such file")
                bad += 1
            elif frag and full.endswith(".md") and frag not in anchors(full):
                print(f"{md}: {target}: no such heading")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
