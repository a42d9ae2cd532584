#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# cluster.sh: a private single-node Slurm cluster for test/slurm.bats.
#
#   cluster.sh start DIR [WATCH_PID]   munged, slurmctld and slurmd, ready to run jobs
#   cluster.sh exec DIR CMD [ARG...]   CMD inside the cluster's network, SLURM_CONF set
#   cluster.sh pids DIR                every process in the cluster's network namespace
#   cluster.sh stop DIR                all of them gone (SIGTERM, then SIGKILL; deadline)
#
# Everything lives in DIR (config, munge key and socket, state, spool,
# logs); nothing in /etc or /run is read or changed, and no system service
# is used. Slurm 22.05's daemons bind 0.0.0.0 whatever the config says, so
# the cluster runs in a network namespace of its own that holds only lo:
# it listens on loopback and nothing else. A holder process (sleep) keeps
# that namespace; stop kills every process in it, slurmstepd included (it
# outlives slurmd). With WATCH_PID, a watchdog outside the namespace runs
# stop once that process is gone, so the cluster never outlives its test,
# whether the test passed, failed or was killed. Runs as root (slurmd
# starts jobs as their users).
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }

holder() { cat "$1/holder.pid" 2>/dev/null; }

# dead PID: no such process, or a zombie with nothing left running in it (a
# zombie leader whose other threads still run, as slurmctld's saving its
# state, is alive)
dead() {
	local t
	[ -e "/proc/$1" ] || return 0
	for t in /proc/"$1"/task/*/stat; do
		[ "$(awk '{print $3}' "$t" 2>/dev/null)" = Z ] || [ ! -e "$t" ] || return 1
	done
}

# netns_pids DIR: the live processes whose network namespace is the holder's.
netns_pids() {
	local h ns p
	h=$(holder "$1") || return 0
	ns=$(readlink "/proc/$h/ns/net" 2>/dev/null) || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] || continue
		dead "${p#/proc/}" || echo "${p#/proc/}"
	done
}

in_ns() { # in_ns DIR CMD...: CMD in the cluster's network namespace
	local d=$1
	shift
	SLURM_CONF=$d/slurm.conf nsenter -t "$(holder "$d")" -n -- "$@"
}

wait_for() { # wait_for SECONDS CMD...: until CMD succeeds, or fail
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

write_config() {
	local d=$1 mem
	mem=$(awk '/^MemTotal:/ { print int($2 / 1024) - 1024 }' /proc/meminfo)
	cat > "$d/slurm.conf" <<-CONF
	# written by test/slurm/cluster.sh: a one-node cluster in $d
	ClusterName=qpodtest
	SlurmctldHost=localhost
	SlurmctldPort=6817
	SlurmdPort=6818
	SlurmUser=root
	SlurmdUser=root
	AuthType=auth/munge
	AuthInfo=socket=$d/munge/munge.sock
	CredType=cred/munge
	StateSaveLocation=$d/state
	SlurmdSpoolDir=$d/spool
	SlurmctldPidFile=$d/slurmctld.pid
	SlurmdPidFile=$d/slurmd.pid
	SlurmctldLogFile=$d/log/slurmctld.log
	SlurmdLogFile=$d/log/slurmd.log
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/none
	SelectType=select/cons_tres
	SelectTypeParameters=CR_Core_Memory
	JobAcctGatherType=jobacct_gather/none
	AccountingStorageType=accounting_storage/none
	MpiDefault=none
	SwitchType=switch/none
	ReturnToService=2
	MinJobAge=3600
	DefMemPerCPU=256
	NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
	PartitionName=qpod Nodes=localhost Default=YES MaxTime=INFINITE State=UP
	CONF
}

start() {
	local d=$1 watch=${2:-}
	[ "$(id -u)" = 0 ] || die "needs root (slurmd runs jobs as their users)"
	for c in munged mungekey slurmctld slurmd sbatch unshare nsenter; do
		command -v "$c" >/dev/null || die "$c is missing (make deps-test installs slurm-wlm and munge)"
	done
	mkdir -p "$d"/{munge,state,spool,log}
	# munged wants its socket's directories searchable by all, its key private
	chmod 0755 "$d" "$d/munge"
	write_config "$d"
	mungekey --create --keyfile="$d/munge/munge.key" --force >/dev/null 2>&1 || die "mungekey failed"
	chmod 0600 "$d/munge/munge.key"

	unshare --net -- sleep infinity </dev/null >/dev/null 2>&1 3>&- &
	echo $! > "$d/holder.pid"
	wait_for 5 in_ns "$d" true || die "no network namespace"
	in_ns "$d" ip link set lo up
	# glibc's getaddrinfo(AF_INET, AI_ADDRCONFIG), which Slurm uses even for
	# "127.0.0.1", fails where no interface but lo has an IPv4 address; a
	# documentation address (RFC 5737) on lo itself satisfies it and, being
	# local, routes nowhere. (No dummy link: not every kernel has it.)
	in_ns "$d" ip addr add 192.0.2.1/32 dev lo
	if [ -n "$watch" ]; then
		setsid "$0" watch "$d" "$watch" </dev/null >/dev/null 2>&1 3>&- &
	fi

	in_ns "$d" munged --foreground --socket="$d/munge/munge.sock" --key-file="$d/munge/munge.key" \
		--pid-file="$d/munge/munged.pid" --log-file="$d/log/munged.log" \
		--seed-file="$d/munge/munged.seed" </dev/null >>"$d/log/munged.out" 2>&1 3>&- &
	wait_for 10 test -S "$d/munge/munge.sock" || die "munged did not start: $(tail -1 "$d/log/munged.log" 2>/dev/null)"
	in_ns "$d" slurmctld -D -c </dev/null >>"$d/log/slurmctld.out" 2>&1 3>&- &
	in_ns "$d" slurmd -D -N localhost </dev/null >>"$d/log/slurmd.out" 2>&1 3>&- &
	if ! wait_for 60 node_idle "$d"; then
		die "the node did not become idle: $(tail -1 "$d/log/slurmctld.log" 2>/dev/null) / $(tail -1 "$d/log/slurmd.log" 2>/dev/null)"
	fi
}

node_idle() { [ "$(in_ns "$1" sinfo -h -N -o %T 2>/dev/null)" = idle ]; }

# others DIR: netns_pids but the holder's own
others() { netns_pids "$1" | grep -vx "$(holder "$1")" || true; }

# The holder goes last: the namespace is found through it, and a holder
# gone first would make every process in it look gone (while slurmctld
# still writes its state into DIR).
stop() {
	local d=$1 end
	[ -f "$d/holder.pid" ] || return 0
	# shellcheck disable=SC2046 # a list of pids
	kill -TERM $(others "$d") 2>/dev/null || true
	end=$((SECONDS + 10))
	while [ -n "$(others "$d")" ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
	# shellcheck disable=SC2046
	kill -KILL $(others "$d") 2>/dev/null || true
	end=$((SECONDS + 5))
	while [ -n "$(others "$d")" ]; do
		[ $SECONDS -lt $end ] || die "processes left in the cluster's namespace: $(others "$d" | tr '\n' ' ')"
		sleep 0.2
	done
	kill -KILL "$(holder "$d")" 2>/dev/null || true
	rm -f "$d/holder.pid"
}


watch() {
	local d=$1 pid=$2
	while ! dead "$pid" && [ -f "$d/holder.pid" ]; do sleep 1; done
	stop "$d"
}

[ $# -ge 2 ] || die "usage: cluster.sh start|exec|pids|stop|watch DIR ..."
cmd=$1 dir=$2
shift 2
case $cmd in
start) start "$dir" "$@" ;;
exec) in_ns "$dir" "$@" ;;
pids) netns_pids "$dir" ;;
stop) stop "$dir" ;;
watch) watch "$dir" "$@" ;;
*) die "unknown command: $cmd" ;;
esac
