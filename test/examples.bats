#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# examples.bats: the files under examples/ are exact for the systems they
# are written for, and their commands work as written.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	need_images
	cd "$REPO"
}

teardown() {
	[ -z "${LISTENER:-}" ] || kill "$LISTENER" 2>/dev/null || true
	[ -z "${QPOD_STATE:-}" ] || rm_all_vms
}

@test "examples/systemd's units pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || fail_now "systemd-analyze is missing (make deps-test)"
	for name in qpod-app qpod-health; do
		unit=$BATS_TEST_TMPDIR/$name.service
		# The units name the installed path; verify them against the built runner.
		sed "s|/usr/local/bin/qpod|$QPOD|" "examples/systemd/$name.service" > "$unit"
		run systemd-analyze verify "$unit"
		echo "$output"
		[ "$status" -eq 0 ] || return 1
		[[ "$output" != *"Unknown"* ]] || return 1
	done
}

# unit_line UNIT KEY: the value of KEY= in UNIT, continuation lines joined.
unit_line() {
	sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' "$1" | sed -n "s|^$2=-\{0,1\}||p"
}

@test "qpod-health.service's commands as written: READY=1 once the health check passed, then stop" {
	export QPOD_STATE=$BATS_TEST_TMPDIR/state QPOD_CACHE=$BATS_TEST_TMPDIR/cache
	app=$BATS_TEST_TMPDIR/app.tar sock=$BATS_TEST_TMPDIR/notify.sock out=$BATS_TEST_TMPDIR/notify.out
	test/compat/image-config.py "$IMAGES/busybox.tar" "$app" \
		'{"Cmd":["sh","-c","sleep 2; mkdir /www; cp /etc/passwd /www/index.html; exec httpd -f -p 80 -h /www"]}'
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	notify_listen "$sock" "$out"
	unit=examples/systemd/qpod-health.service
	fix() { sed -e "s|/usr/local/bin/qpod|$QPOD|" -e "s|/srv/qpod/app.tar|$app|" -e "s|:8080:|:$port:|"; }
	eval "$(unit_line "$unit" ExecStartPre | fix)" || true
	run eval "NOTIFY_SOCKET=$sock $(unit_line "$unit" ExecStart | fix)"
	[ "$status" -eq 0 ]
	[ "$(./qpod inspect -f '{{.State.Health.Status}}' app)" = starting ]
	grep -q "^MAINPID=" "$out"
	for i in $(seq 600); do grep -q READY=1 "$out" && break; sleep 0.1; done
	[ "$(./qpod inspect -f '{{.State.Health.Status}}' app)" = healthy ]
	run curl -sf -m 5 "http://127.0.0.1:$port/"
	[[ "$output" == root:* ]]
	run eval "$(unit_line "$unit" ExecStop | fix)"
	[ "$output" = app ]
	# --rm: nothing of it is left once it ended
	for i in $(seq 100); do [ -z "$(./qpod ps -aq)" ] && break; sleep 0.1; done
	[ -z "$(./qpod ps -aq)" ]
}

@test "examples/kubernetes/job.yaml is exact to the Kubernetes API (python3-kubernetes' models)" {
	run /usr/bin/python3 test/examples/check-kubernetes.py examples/kubernetes/job.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	run /usr/bin/python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); s = d["spec"]; t = s["template"]["spec"]; c = t["containers"][0]
print(d["kind"], s["completionMode"], t["restartPolicy"], c["securityContext"].get("privileged", False), c["resources"]["requests"]["memory"], c["resources"]["requests"]["cpu"], [v for v in t["volumes"] if v["name"] == "cache"][0]["emptyDir"]["sizeLimit"])' examples/kubernetes/job.yaml
	[ "$output" = "Job Indexed Never False 256Mi 1 2Gi" ]
}

@test "check-kubernetes.py catches a misspelt field, a wrong type and a missing required field" {
	sed 's/backoffLimit:/backOffLimit:/' examples/kubernetes/job.yaml > "$BATS_TEST_TMPDIR/a.yaml"
	run /usr/bin/python3 test/examples/check-kubernetes.py "$BATS_TEST_TMPDIR/a.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"spec.backOffLimit: not a field"* ]]
	sed 's/completions: 8/completions: eight/' examples/kubernetes/job.yaml > "$BATS_TEST_TMPDIR/b.yaml"
	run /usr/bin/python3 test/examples/check-kubernetes.py "$BATS_TEST_TMPDIR/b.yaml"
	[ "$status" -eq 1 ]
	sed '/- name: qpod$/s/name: qpod/image: x/' examples/kubernetes/job.yaml > "$BATS_TEST_TMPDIR/c.yaml"
	run /usr/bin/python3 test/examples/check-kubernetes.py "$BATS_TEST_TMPDIR/c.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "examples/nomad/qpod.nomad.hcl parses as HCL and uses Nomad's job specification" {
	run /usr/bin/python3 test/examples/check-nomad.py examples/nomad/qpod.nomad.hcl
	echo "$output"
	[ "$status" -eq 0 ]
	run /usr/bin/python3 -c 'import hcl, sys; t = hcl.load(open(sys.argv[1]))["job"]["qpod-app"]["group"]["vm"]["task"]["qpod"]
print(t["driver"], t["config"]["command"], " ".join(t["config"]["args"]), t["resources"]["cores"], t["resources"]["memory"])' examples/nomad/qpod.nomad.hcl
	[ "$output" = 'raw_exec /usr/local/bin/qpod run --verify-key ${NOMAD_TASK_DIR}/app.qpod.pub --result ${NOMAD_TASK_DIR}/result.json -e NOMAD_ALLOC_INDEX ${NOMAD_TASK_DIR}/app.qpod 1 256' ]
	# the flags it gives qpod are qpod's
	run "$QPOD" run --help
	[[ "$output" == *"--verify-key"* ]]
	[[ "$output" == *"--result"* ]]
}

@test "check-nomad.py catches an unknown attribute, a wrong driver and broken HCL" {
	sed 's/cores  = 1/core = 1/' examples/nomad/qpod.nomad.hcl > "$BATS_TEST_TMPDIR/a.hcl"
	run /usr/bin/python3 test/examples/check-nomad.py "$BATS_TEST_TMPDIR/a.hcl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"resources.core: not an attribute"* ]]
	sed 's/"raw_exec"/"qemu"/' examples/nomad/qpod.nomad.hcl > "$BATS_TEST_TMPDIR/b.hcl"
	run /usr/bin/python3 test/examples/check-nomad.py "$BATS_TEST_TMPDIR/b.hcl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"driver: 'qemu' is not one of"* ]]
	head -n -3 examples/nomad/qpod.nomad.hcl > "$BATS_TEST_TMPDIR/c.hcl"
	run /usr/bin/python3 test/examples/check-nomad.py "$BATS_TEST_TMPDIR/c.hcl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not HCL"* ]]
}

@test "examples/slurm: the scripts pass shellcheck; without a bundle the batch script exits 125 with its usage" {
	run shellcheck examples/slurm/qpod-array.sbatch examples/slurm/summary.sh
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^#SBATCH --mem=256M$' examples/slurm/qpod-array.sbatch
	grep -q '^#SBATCH --cpus-per-task=1$' examples/slurm/qpod-array.sbatch
	# without arguments the script says how to use it and exits 125, as qpod does
	run examples/slurm/qpod-array.sbatch
	[ "$status" -eq 125 ]
	[[ "$output" == "usage: sbatch --array=0-N"* ]]
}
