#!/usr/bin/env python3
"""lint-bats.py [--tap] FILE...: find assertions that cannot fail.

bats runs a test body under `set -e`, and bash ignores a failing command
that is not the last of an && list, and a failing `! cmd`; the list's
status only matters when it becomes the body's own. So, inside a test
(@test ... {}) or function body, this flags every statement that is an &&
list or a negated command, except the body's last statement (or the last
statement of an if branch or { } group that is last, or of a lone ( )
subshell, whose failure set -e does see). A loop body is never last: a
loop swallows a failure of any but its last iteration. Not flagged: &&
inside quotes, $(...), [[ ]] and (( )); if/elif/while/until conditions;
lists that end in `|| ...`; control flow `&& break`, `&& continue`,
`&& return [0]`. Prints "file:line: ..." per finding (TAP lines with
--tap, one test per file) and exits 1 if it found any. Fixtures:
test/lint/{bad,good}.bats, checked by test/lint.bats."""
import sys

CONTROL = {("break",), ("continue",), ("return",), ("return", "0"), ("exit", "0")}


def tokens(src):
    """(line, kind, text): kind "w" (a word, quotes and $(...) inside it) or
    "op" (&& || | ; & ( ) and newline)."""
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
            i += 1
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
        elif src[i:i + 2] in ("&&", "||", ";;"):
            i += 2
            yield line, "op", src[start:i]
        elif c in ";&|()" and not src.startswith("&>", i):
            i += 1
            yield line, "op", c
        else:
            while i < n and (src[i] not in " \t\n;&|()" or src.startswith("&>", i)):
                ch = src[i]
                if ch in "'\"`":
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


def statements(src):
    """Every and-or list inside a function or test body, as a dict: line,
    words (a compound command inside is one word, "<if>", "<(>", ...),
    frame (the compound or body it sits in) and branch (its list of
    statements: a body, a group, one branch of an if, a loop's body)."""
    stack, out = [], []
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

    def close():
        nonlocal cur, closed, line
        flush()
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
                close()
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
            if t in ("fi", "done", "}"):
                close()
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
    return out


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
    found = []
    for st in statements(open(path).read()):
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
    return found


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
