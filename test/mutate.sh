#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mutate.sh [-n] [NAME...]: do the tests catch deliberate bugs?
#
# For each mutation below (or only those named): copy the tree (git ls-files,
# as it is in the work tree) to a scratch dir under /tmp, apply that one
# break, build there with its own O= (the kernel cache is shared; each
# mutant starts from a copy of the baseline's out/, timestamps kept, so make
# rebuilds only what the edit feeds), run the suites named for it (make test SUITES=...), and list the tests that went
# red that are green without any mutation (a baseline run of the same suites
# comes first). A mutation nothing catches is MISSED.
#
# A break is one text replacement inside one C function, found by name in
# whichever tracked .c file defines it (files may move; line numbers are
# never used). It fails loudly when the function or the text is not found
# exactly once: then fix the mutation, not the code. -n only applies each
# mutation and prints its diff (no build, no tests: seconds); test/lint.bats
# runs it on every make test, so a mutation the code has outgrown fails
# there, named, instead of rotting until the next make mutate.
set -u

# ---- the mutations: NAME|SUITES|FUNCTION|what breaks ----------------------
MUTATIONS=(
	"whiteouts|packer hostile images|layer_entry|the packer skips every whiteout entry"
	"dotdot|unit-packer_paths packer hostile|push|path_clean lets a .. above the root through (dropped, not refused)"
	"symlink_escape|hostile|openat2_in_root|a layer's symlinks resolve against the host's /, not the rootfs"
	"cache_owner|packer trust|judge_last|a cache, state or cache directory (or part) of another uid is trusted"
	"trust_ancestor|trust|judge_ancestor|a directory of another uid above the one checked (a planted cache's) is trusted"
	"trust_symlink|trust|trust_walk|a symlinked cache, state or cache subdirectory is followed"
	"trust_writable|trust|judge_last|a group-writable cache, state directory or part is trusted"
	"baked_loopback|consent|baked_merge|a bundle's baked ports are published on every host address"
	"machine_allowlist|consent|machine_ok|vm.conf's machine may carry any option into -machine"
	"bundle_bounds|consent|bundle_bounds|a bundle's memory beyond the host's is accepted"
	"policy_signed|consent|bundle_policy|policy.json's signedBy lets any bundle run"
	"pull_digest|push|get_manifest|a pulled manifest that does not match its digest is taken"
	"push_again|push|push_blob|a blob the registry has is sent again"
	"tls_peer|push|http_perform|a registry's TLS certificate is not verified"
	"bearer_creds|push|bearer|the token server is asked without the credentials"
	"verity_cmdline|verity|verity_cmdline|a bundle's command line maps no dm-verity: the guest mounts the disk, changed blocks and all"
	"signal_exit|runner|record_exit|hyperstart reports exit 0 for a command killed by a signal"
	"stdin_tail|runner|relay_stdin|the runner drops the last stdin chunk before EOF"
	"template_private|snapshot|tmpl_find|a template directory others may read is restored"
	"ctl_peer|appliance|ctl_peer_ok|a detached VM's monitor answers a peer of another uid"
	"frame_len|unit-proto_frame fuzz-proto_stream|qp_reader_next|the frame reader delivers one payload byte short"
	"jail_caps|jail|drop_privileges|qemu keeps its capability bounding set"
	"jail_seccomp|jail|qemu_argv|qemu starts without its seccomp filter (-sandbox)"
	"jail_root_fs|jail|jail_init|qemu's jail shows it the host's /home"
	"host_loopback|network escape|opts_parse_as|the default network reaches the host's loopback"
	"volume_model|escape|qemu_argv|volumes are shared security_model=none: what guest root makes lands on the host as is"
	"file_volume|escape|jail_of|a single-file volume shares its whole directory"
	"console_trim|escape|vm_console_trim|the guest's console grows without bound"
	"result_link|escape|io_create_own|--result and --console write through a symlink"
	"creds_argv|escape|opt_creds|--creds USER:PASSWORD is taken from the command line"
	"pasta_guardian|jail|guardian|pasta outlives a run killed outright"
	"template_seal|escape|tmpl_find|a template whose RAM was written after it was saved is restored"
	"vm_restart|escape|monitor_run|a VM that dies under its command is booted again at once, for ever"
	"cgroup_limit|unit-runner_cgroup|cgroup_make|a VM's cgroup gets no memory limit"
	"guest_arch|arm64|guest_arch|an image's platform is ignored: every run boots the host's guest"
	"bundle_refuse|flags|flag_of|qpod bundle takes the flags without a value that the table marks not bakeable (-d, --rm, -i)"
)

# old text, then new text, per mutation (bash $'...' for tabs and newlines)
edit_whiteouts() {
	replace layer_entry $'return whiteout_apply(ap, parent, base, path);' \
		$'return 0 && whiteout_apply(ap, parent, base, path); /* mutant: whiteouts skipped */'
}
edit_dotdot() {
	replace push $'if (*o == 0)\n\t\t\treturn -EXDEV;' \
		$'if (*o == 0)\n\t\t\treturn 0; /* mutant: .. above the root dropped */'
}
edit_symlink_escape() {
	replace openat2_in_root $'.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS' \
		$'.resolve = RESOLVE_NO_MAGICLINKS /* mutant: links followed out of the root */'
}
edit_cache_owner() {
	replace judge_last $'if (st->st_uid != geteuid() &&' \
		$'if (0 && st->st_uid != geteuid() && /* mutant: any owner will do */'
}
edit_trust_ancestor() {
	replace judge_ancestor $'if (st->st_uid != 0 && st->st_uid != geteuid())' \
		$'if (0 && st->st_uid != 0 && st->st_uid != geteuid()) /* mutant: any owner above */'
}
edit_trust_symlink() {
	replace trust_walk $'if (end || (st.st_uid' \
		$'if ((0 && end) /* mutant: the last one followed */ || (st.st_uid'
}
edit_trust_writable() {
	replace judge_last $'if (st->st_mode & 022)' \
		$'if (0 && st->st_mode & 022) /* mutant: group-writable will do */'
}
edit_baked_loopback() {
	replace baked_merge $'snprintf(run->ports[i].ip, sizeof run->ports[i].ip, "127.0.0.1");' \
		$'(void)0; /* mutant: baked ports on every address */'
}
edit_bearer_creds() {
	replace bearer $'r->basic = *r->user != \'\\0\';' $'r->basic = false; /* mutant: the token server gets no credentials */'
}
edit_machine_allowlist() {
	replace machine_ok $'if (!one_of(w, a->machine_opts))' \
		$'if (0 && !one_of(w, a->machine_opts)) /* mutant: any option */'
}
edit_bundle_bounds() {
	replace bundle_bounds $'if (memory_asked && mb > 0' \
		$'if (0 && memory_asked && mb > 0 /* mutant: any memory */'
}
edit_policy_signed() {
	replace bundle_policy $'e = -EPERM;\n\tfor' \
		$'e = 0; /* mutant: signedBy lets anything through */\n\tfor'
}
edit_pull_digest() {
	replace get_manifest $'if (*want && strcmp(hex, want))' \
		$'if (0 && *want && strcmp(hex, want)) /* mutant: any bytes will do */'
}
edit_push_again() {
	replace push_blob $'if (!e && resp.code == 200)' \
		$'if (0 && !e && resp.code == 200) /* mutant: sent again */'
}
edit_tls_peer() {
	replace http_perform $'r->cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);' \
		$'r->cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L); /* mutant: any certificate */'
}
edit_verity_cmdline() {
	replace verity_cmdline $'int n = snprintf(line, sizeof line, "%s%s\\n", conf->cmdline, word);' \
		$'int n = snprintf(line, sizeof line, "%s\\n", conf->cmdline); /* mutant: no mapping */'
}
edit_signal_exit() {
	replace record_exit $'x->signal = WTERMSIG(st);\n\t\tx->status = 128 + x->signal;' \
		$'x->signal = 0; /* mutant: a signal death reported as exit 0 */\n\t\tx->status = 0;'
}
edit_stdin_tail() {
	replace relay_stdin $'if (n > 0) {\n\t\tqp_put_stream(r->tx, r->seq, buf, (size_t)n);' \
		$'if (n > 0) { /* mutant: each chunk held back until the next; the last one is dropped at EOF */\n\t\tstatic uint8_t held[QP_STREAM_PAYLOAD];\n\t\tstatic size_t nheld;\n\t\tif (nheld)\n\t\t\tqp_put_stream(r->tx, r->seq, held, nheld);\n\t\tmemcpy(held, buf, (size_t)n);\n\t\tnheld = (size_t)n;'
}
edit_template_private() {
	replace tmpl_find $'st.st_uid != geteuid() || (st.st_mode & 077)' \
		$'st.st_uid != geteuid() /* mutant: others may read it */'
}
edit_ctl_peer() {
	replace ctl_peer_ok $'(cr.uid == geteuid() || cr.uid == 0)' \
		$'(1 || cr.uid == geteuid() || cr.uid == 0) /* mutant: any peer */'
}
edit_frame_len() {
	replace qp_reader_next $'f->len = (uint32_t)(len - r->hdr);\n\tf->data = p + r->hdr;' \
		$'f->len = (uint32_t)(len - r->hdr - (len > r->hdr)); /* mutant: one byte short */\n\tf->data = p + r->hdr;'
}
edit_jail_caps() {
	replace drop_privileges $'for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)' \
		$'for (int c = 0; 0 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++) /* mutant: bounding set kept */'
}
edit_jail_seccomp() {
	replace qemu_argv $'arg(a, "-sandbox");\n\targ(a, SANDBOX);' \
		$'/* mutant: no -sandbox */'
}
edit_jail_root_fs() {
	replace jail_init $'if (access(base[i].src, F_OK) == 0 || i == 0)' \
		$'if ((access(base[i].src, F_OK) == 0 || i == 0) && !(i == 1 && (jail_add(j, "/home", 0, "/home"), 0))) /* mutant: /home too */'
}
edit_host_loopback() {
	replace opts_parse_as $'o->network = true;' \
		$'o->network = true;\n\to->host_loopback = true; /* mutant: the host\'s loopback by default */'
}
edit_volume_model() {
	replace qemu_argv $'path=/vm/%s,security_model=%s,multidevs=remap%s", tag, tag, VIRTFS_MODEL,' \
		$'path=/vm/%s,security_model=%s,multidevs=remap%s", tag, tag, "none", /* mutant: security_model=none */'
}
edit_file_volume() {
	replace jail_of $'jail_add(j, v->path, rw | JAIL_MAP | JAIL_FILE, "/vm/%s/%s", tag, v->file);' \
		$'jail_add(j, v->host, rw | JAIL_MAP, "/vm/%s", tag); /* mutant: the whole directory */'
}
edit_console_trim() {
	replace vm_console_trim $'if (now - vm->console_trimmed < 1.0)' \
		$'if (1 || now - vm->console_trimmed < 1.0) /* mutant: never trimmed */'
}
edit_result_link() {
	replace io_create_own $'else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())' \
		$'else if (0) /* mutant: whatever it is */'
}
edit_creds_argv() {
	replace opt_creds $'if (strchr(v, \':\'))' \
		$'if (0 && strchr(v, \':\')) /* mutant: a password in argv */'
}
edit_pasta_guardian() {
	replace guardian $'prctl(PR_SET_PDEATHSIG, SIGTERM);' \
		$'/* mutant: no parent-death signal */'
}
edit_template_seal() {
	replace tmpl_find $'else if (!sealed(dfd, p))' \
		$'else if (0 && !sealed(dfd, p)) /* mutant: no seal */'
}
edit_vm_restart() {
	replace monitor_run $'vm_fails < VM_FAILS_MAX &&' \
		$'(vm_fails = 0) < VM_FAILS_MAX && /* mutant: no cap */'
}
edit_cgroup_limit() {
	replace cgroup_make $'if ((e = write_text(c->path, "memory.max", text)) < 0 ||' \
		$'if ((e = 0) < 0 || /* mutant: no memory.max */'
}
edit_guest_arch() {
	replace guest_arch $'const char *plat = l->img.platform[0] ? l->img.platform : l->o.platform;' \
		$'const char *plat = NULL; /* mutant: the host\'s guest for every image */'
}
edit_bundle_refuse() {
	replace flag_of $'if (bundle && r->bundle == BUNDLE_REFUSE) {' \
		$'if (bundle && r->bundle == BUNDLE_REFUSE && r->arg == ARG_VALUE) { /* mutant: -d, --rm, -i baked (into nothing) */'
}
# ---------------------------------------------------------------------------

src=$(cd "$(dirname "$0")/.." && pwd)
scratch=${MUTATE_DIR:-/tmp/qpod-mutate.$$}
tree=$scratch/tree

replace() { # replace FUNCTION OLD NEW: in $tree, inside FUNCTION's body, exactly once
	python3 - "$tree" "$@" <<'EOF'
import re, subprocess, sys
tree, func, old, new = sys.argv[1:]
files = subprocess.run(["find", tree, "-name", "*.c", "-not", "-path", "*/out/*"],
                       capture_output=True, text=True, check=True).stdout.split()
defn = re.compile(r"^[A-Za-z_][^;(]*\b%s\([^;]*$" % re.escape(func), re.M)
hits = []
for f in files:
    s = open(f).read()
    for m in defn.finditer(s):
        end = s.find("\n}\n", m.start())
        if end > 0:
            hits.append((f, s, m.start(), end + 3))
if len(hits) != 1:
    sys.exit("mutate: function %s() is defined %d times in the tree (want 1)" % (func, len(hits)))
f, s, a, b = hits[0]
body = s[a:b]
if body.count(old) != 1:
    sys.exit("mutate: %s(): the text to replace occurs %d times in %s (want 1):\n%s" % (func, body.count(old), f, old))
open(f, "w").write(s[:a] + body.replace(old, new) + s[b:])
print("mutate: %s(): edited %s" % (func, f[len(tree) + 1:]))
EOF
}

copy_tree() {
	rm -rf "$tree"
	mkdir -p "$tree"
	(cd "$src" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$tree"
	sleep 0.01
	touch "$scratch/stamp" # the edit is the only file newer than this
}

run_suites() { # run_suites LABEL SUITES: build and test in $tree; leaves $scratch/LABEL.red
	local label=$1 suites=$2 log=$scratch/$1.log
	if [ "$label" != baseline ] && [ -d "$scratch/out.base" ]; then
		cp -a "$scratch/out.base" "$tree/out"
	fi
	rm -rf "$tree/out/test/logs"
	if ! make -C "$tree" O="$tree/out" image > "$log" 2>&1; then
		echo "BUILD FAILED" > "$scratch/$label.red"
		return 1
	fi
	SUITES=$suites make -C "$tree" O="$tree/out" test >> "$log" 2>&1
	# A mutant that lets a layer escape (symlink_escape) really writes on the
	# host; hostile.bats names each such file ("# escaped: PATH"): remove them.
	local s p
	for p in $(sed -n 's/^# escaped: //p' "$log" | tr ' ' '\n' | sort -u); do
		[[ "$p" == */qpod-hostile-* ]] && [ -f "$p" ] && rm -f "$p"
	done
	for s in $suites; do
		[ -f "$tree/out/test/logs/$s.tap" ] || { echo "$s: suite did not run"; continue; }
		sed -n "s/^not ok \([0-9]* \)\{0,1\}\(- \)\{0,1\}/$s: /p" "$tree/out/test/logs/$s.tap"
	done > "$scratch/$label.red"
	grep -E '^[0-9]+ passed, ' "$log" | tail -1 | sed "s/^/  $label: /"
}

want() { [ ${#names[@]} -eq 0 ] || [[ " ${names[*]} " == *" $1 "* ]]; }

dry=
if [ "${1:-}" = -n ]; then
	dry=1
	shift
fi
names=("$@")
for n in "${names[@]}"; do # a misspelt name would silently run nothing
	[[ " ${MUTATIONS[*]%%|*} " == *" $n "* ]] || { echo "mutate: no mutation named $n"; exit 2; }
done
mkdir -p "$scratch"
echo "mutate: scratch dir $scratch"
all_suites=
for m in "${MUTATIONS[@]}"; do
	IFS='|' read -r name suites func what <<<"$m"
	want "$name" || continue
	all_suites="$all_suites $suites"
done
all_suites=$(tr ' ' '\n' <<<"$all_suites" | awk 'NF && !seen[$0]++' | tr '\n' ' ')

# Every mutation must apply before anything runs: a stale one fails here,
# and each stale one is named (make test runs -n in test/lint.bats).
stale=
for m in "${MUTATIONS[@]}"; do
	IFS='|' read -r name suites func what <<<"$m"
	want "$name" || continue
	copy_tree
	if ! "edit_$name" > /dev/null; then
		echo "mutate: mutation $name does not apply: update it"
		stale="$stale $name"
		continue
	fi
	if [ -n "$dry" ]; then
		echo "== $name ($suites): $what"
		f=$(cd "$tree" && find . -name '*.c' -newer "$scratch/stamp" | head -1)
		diff -U1 "$src/$f" "$tree/$f" | tail -n +3
	fi
done
if [ -n "$dry" ] && [ -z "${MUTATE_DIR:-}" ]; then
	rm -rf "$scratch" # a dry run keeps nothing
fi
[ -z "$stale" ] || { echo "mutate: stale:$stale"; exit 2; }
[ -z "$dry" ] || exit 0

echo "mutate: baseline (no mutation): $all_suites"
copy_tree
run_suites baseline "$all_suites"
rm -rf "$scratch/out.base"
cp -a "$tree/out" "$scratch/out.base"

results=()
for m in "${MUTATIONS[@]}"; do
	IFS='|' read -r name suites func what <<<"$m"
	want "$name" || continue
	echo "mutate: $name: $what"
	copy_tree
	"edit_$name" || exit 2
	run_suites "$name" "$suites"
	grep -vxF -f "$scratch/baseline.red" "$scratch/$name.red" > "$scratch/$name.new" || true
	results+=("$name|$suites")
done

printf '\n%-16s %-36s %-7s %s\n' MUTATION SUITES VERDICT "TESTS THAT WENT RED (green in the baseline)"
missed=0
for r in "${results[@]}"; do
	IFS='|' read -r name suites <<<"$r"
	verdict=CAUGHT
	if ! grep -q . "$scratch/$name.new" || grep -q "BUILD FAILED" "$scratch/$name.new"; then
		verdict=MISSED
		missed=$((missed + 1))
	fi
	if ! grep -q . "$scratch/$name.new"; then
		echo "-" > "$scratch/$name.new"
	fi
	first=1
	while IFS= read -r t; do
		if [ "$first" = 1 ]; then
			printf '%-16s %-36s %-7s %s\n' "$name" "$suites" "$verdict" "$t"
		else
			printf '%-16s %-36s %-7s %s\n' "" "" "" "$t"
		fi
		first=0
	done < "$scratch/$name.new"
done
if grep -q . "$scratch/baseline.red"; then
	echo
	echo "red in the baseline too (not counted):"
	sed 's/^/  /' "$scratch/baseline.red"
fi
echo "logs: $scratch/*.log"
[ "$missed" = 0 ]
