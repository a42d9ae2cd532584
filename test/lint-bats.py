#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lint-bats.py [--tap] FILE...: find assertions that cannot fail.

bats runs a test body under `set -e`, and bash ignores a failing command
that is not the last of an && list, and a failing `! cmd`; the list's
status only matters when it becomes the body's own. So, inside a test
(@test ... {}) or function body, this flags every statement that is an &&
list or a negated command, except the body's last statement (or the last
statement of an if branch, a case arm ending in ;; or a { } group that is
last, or of a lone ( ) subshell, whose failure set -e does see). A loop
body is never last: a loop swallows a failure of any but its last
iteration. Not flagged: && inside quotes, $(...), [[ ]], (( )) and
heredoc bodies; if/elif/while/until conditions; lists that end in
`|| ...`; control flow `&& break`, `&& continue`, `&& return [0]`.
Prints "file:line: ..." per finding (TAP lines with --tap, one test per
file) and exits 1 if it found any. A closer that does not match what is
open (a ")" or "fi" it has lost track of) is reported as "cannot parse":
a file the lint cannot follow fails, never passes.
Fixtures: test/lint/*.bats, checked by test/lint.bats."""
import re
import sys

ARRAY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=$")  # a word that opens an array: x=( x+=(
CONTROL = {("break",), ("continue",), ("return",), ("return", "0"), ("exit", "0")}


def tokens(src):
    """(line, kind, text): kind "w" (a word, quotes and $(...) inside it) or
    "op" (&& || | ; & ( ) ;; ;& and newline; ;;& is read as ;&). A heredoc's
    body is skipped; NAME=( ... ) is one word."""
    i, n, line = 0, len(src), 1

    def skip_quoted(j, end):  # j after the opening quote: index after the closing one
        while j < n and src[j] != end:
            if end == '"' and src[j] == "\\":
                j += 1
            elif end == '"' and src.startswith("$(", j):
                j = skip_paren(j + 2)
                continue
            j += 1
        return j + 1

    def skip_paren(j):  # j after "(": index after the matching ")"
        depth = 1
        while j < n and depth:
            c = src[j]
            if c in "'\"`":
                j = skip_quoted(j + 1, c)
                continue
            if c == "\\":
                j += 1
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            j += 1
        return j

    def heredoc_op(j):  # j at "<<": (index after the delimiter word, (delimiter, strip tabs))
        j += 2
        dash = src.startswith("-", j)
        j += dash
        while j < n and src[j] in " \t":
            j += 1
        k = j
        while k < n and src[k] not in " \t\n;&|()<>":
            k = skip_quoted(k + 1, src[k]) if src[k] in "'\"" else k + 1
        return k, (src[j:k].replace("'", "").replace('"', "").replace("\\", ""), dash)

    def skip_heredocs(j, docs):  # j at the start of a line: index after the last body
        for delim, dash in docs:
            while j < n:
                end = src.find("\n", j)
                end = n if end < 0 else end
                text = src[j:end]
                j = end + 1
                if (text.lstrip("\t") if dash else text) == delim:
                    break
        return min(j, n)

    heredocs = []  # delimiters of the current line's << operators: their bodies follow it
    while i < n:
        c, start = src[i], i
        if c == "\\" and src.startswith("\n", i + 1):
            i += 2
        elif c in " \t":
            i += 1
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif c == "\n":
            yield line, "op", c
            i = skip_heredocs(i + 1, heredocs)
            heredocs = []
        elif src.startswith("<<", i) and not src.startswith("<<<", i):
            i, doc = heredoc_op(i)
            heredocs.append(doc)
            yield line, "w", src[start:i]
        elif src.startswith("((", i):
            i = skip_paren(i + 1)
            yield line, "w", src[start:i]
        elif src.startswith("[[", i) and src[i + 2:i + 3] in (" ", "\t", "\n"):
            j = i + 2
            while j < n and not (src.startswith("]]", j) and src[j - 1] in " \t\n"):
                if src[j] in "'\"":
                    j = skip_quoted(j + 1, src[j])
                elif src.startswith("$(", j):
                    j = skip_paren(j + 2)
                else:
                    j += 1
            i = j + 2
            yield line, "w", "[[ ]]"
        elif src[i:i + 3] == ";;&":
            i += 3
            yield line, "op", ";&"
        elif src[i:i + 2] in ("&&", "||", ";;", ";&"):
            i += 2
            yield line, "op", src[start:i]
        elif c in ";&|()" and not src.startswith("&>", i):
            i += 1
            yield line, "op", c
        else:
            while i < n and (src[i] not in " \t\n;&|()" or src.startswith("&>", i)
                             or (src[i] == "(" and ARRAY.match(src, start, i))):
                ch = src[i]
                if src.startswith("<<<", i):  # a here-string: part of the word
                    i += 3
                elif src.startswith("<<", i):
                    break  # a heredoc: its own token
                elif ch == "(":  # NAME=( ... ): an array is one word
                    i = skip_paren(i + 1)
                elif ch in "'\"`":
                    i = skip_quoted(i + 1, ch)
                elif ch == "\\":
                    i += 2
                elif ch in "$<>" and src.startswith("(", i + 1):
                    i = skip_paren(i + 2)
                elif src.startswith("&>", i) or (ch in "<>" and src.startswith("&", i + 1)):
                    i += 2
                else:
                    i += 1
            yield line, "w", src[start:i]
        i = max(i, start + 1)  # never stall on a character no branch took
        line += src.count("\n", start, i)


LISTOPS = ("&&", "||", "|")
LOOPS = ("while", "until", "for")
CLOSES = {")": ("(",), "}": ("{",), "fi": ("if",), "done": LOOPS, "esac": ("case",)}


def statements(src):
    """Every and-or list inside a function or test body, as a dict: line,
    words (a compound command inside is one word, "<if>", "<(>", ...),
    frame (the compound or body it sits in) and branch (its list of
    statements: a body, a group, one branch of an if, a case arm, a loop's
    body), and the places it could not follow ("cannot parse")."""
    stack, out, errors = [], [], []
    cur, closed, line = [], [], 0  # closed: compounds that are words of cur
    pending_body = False  # a name() / @test / function header: its { is a body

    def in_body():
        return any(e["body"] for e in stack)

    def flush():
        nonlocal cur, closed
        if cur and stack and not stack[-1]["cond"] and in_body():
            st = dict(line=line, words=cur, frame=stack[-1], branch=stack[-1]["branches"][-1])
            st["branch"].append(st)
            out.append(st)
            for f in closed:
                f["outer"] = st
        cur, closed = [], []

    def open_(kind, ln, body=False, cond=False):
        nonlocal cur, closed
        stack.append(dict(kind=kind, body=body, cond=cond, saved=(cur, closed, line if cur else ln),
                          branches=[[]], outer=None))
        cur, closed = [], []

    def close(ln, t):
        nonlocal cur, closed, line
        flush()
        if not stack or stack[-1]["kind"] not in CLOSES[t]:
            errors.append((ln, "cannot parse: `%s` closes %s: the lint is wrong here, fix it" %
                           (t, "`%s`" % stack[-1]["kind"] if stack else "nothing")))
        if stack:
            e = stack.pop()
            cur, closed, line = e["saved"]
            if e["body"]:
                cur, closed = [], []
            else:
                cur = cur + ["<%s>" % e["kind"]]
                closed = closed + [e]

    def new_branch():
        flush()
        if stack:
            stack[-1]["branches"].append([])

    for ln, kind, t in tokens(src):
        at_start = not cur or cur[-1] in LISTOPS or cur == ["!"]
        top = stack[-1] if stack else None
        if top and top["kind"] == "case" and top["cond"]:
            # case WORD in, then a pattern list up to its ")": no statements
            if kind == "w" and t == "in" and not top["in"]:
                top["in"] = True
            elif kind == "w" and t == "esac" and top["in"]:
                close(ln, t)
            elif kind == "op" and t == ")" and top["in"]:
                top["cond"] = False  # an arm: a branch of its own, as an if's
                if top["arms"]:
                    top["branches"].append([])
                top["arms"] += 1
            continue
        if top and top["kind"] == "case" and kind == "op" and t in (";;", ";&"):
            flush()
            if t == ";&" and top["branches"][-1]:  # ;& and ;;& go on: the arm's status is not the case's
                top["branches"][-1].append(None)
            top["cond"] = True  # the next pattern, or esac
            continue
        if kind == "op":
            if t in LISTOPS:
                cur.append(t)
            elif t == "(" and at_start:
                open_("(", ln)
            elif t == "(":
                cur.append(t)
            elif t == ")" and cur and cur[-1] == "(":  # name() {
                pending_body, cur = True, []
            elif t == ")":
                close(ln, t)
            elif cur and cur[-1] in LISTOPS:
                pass  # a list goes on over a newline
            else:
                flush()
            continue
        if pending_body and t == "{":
            cur = []
            open_("{", ln, body=True)
            pending_body = False
            continue
        if at_start:
            if t in ("if",) + LOOPS:
                open_(t, ln, cond=True)
                continue
            if t == "elif" and stack:
                new_branch()
                stack[-1]["cond"] = True
                continue
            if t in ("then", "do") and stack:
                flush()
                stack[-1]["cond"] = False
                continue
            if t == "else" and stack:
                new_branch()
                continue
            if t == "case":
                open_(t, ln, cond=True)
                stack[-1].update({"in": False, "arms": 0})
                continue
            if t in ("fi", "done", "}", "esac"):
                close(ln, t)
                continue
            if t == "{":
                open_("{", ln)
                continue
            if t in ("function", "@test"):
                pending_body = True
                continue
        if not cur:
            line = ln
        cur.append(t)
    flush()
    if stack:
        errors.append((ln, "cannot parse: `%s` is never closed: the lint is wrong here, fix it" % stack[-1]["kind"]))
    return out, errors


def counts(st):
    """Does a non-zero status of statement st fail the test? Only when it
    becomes the body's status (the last statement, or the last of a group
    or an if that is), or a lone subshell's status (set -e then fires)."""
    f = st["frame"]
    if st["branch"][-1] is not st:
        return False
    if f["body"]:
        return True
    outer = f["outer"]
    if f["kind"] in LOOPS or outer is None or any(w in LISTOPS for w in outer["words"]):
        return False
    return f["kind"] == "(" or counts(outer)


def check(path):
    sts, found = statements(open(path).read())
    for st in sts:
        words = st["words"]
        andor = [w for w in words if w in ("&&", "||")]
        if andor and andor[-1] == "||" or counts(st):
            continue
        if words[0] == "!":
            found.append((st["line"], "a negated command as a statement: its failure is ignored; use `run !` or if ...; then return 1; fi"))
        elif andor:
            tail = words[len(words) - words[::-1].index("&&"):]
            if tuple(tail) in CONTROL:
                continue
            found.append((st["line"], "an && list as a statement: a failure before its last command is ignored; split it or end it with || return 1"))
    return sorted(found)


def main(argv):
    tap = argv[:1] == ["--tap"]
    files = argv[1:] if tap else argv
    bad = 0
    if tap:
        print("1..%d" % len(files))
    for n, f in enumerate(files, 1):
        found = check(f)
        bad += len(found)
        if tap:
            print("%sok %d - lint %s" % ("not " if found else "", n, f))
        for line, msg in found:
            print("%s%s:%d: %s" % ("# " if tap else "", f, line, msg))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
