#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# san-reports.sh DIR: one TAP line, ok when DIR holds no sanitizer report.
# `make test SANITIZE=1` points ASAN_OPTIONS and UBSAN_OPTIONS (log_path) at
# DIR, so every ASan, LeakSanitizer or UBSan report of any sanitized program
# of the run is a file there, whether or not its test noticed.
set -u
dir=$1
echo "1..1"
if [ ! -d "$dir" ]; then
	echo "not ok 1 - no sanitizer log directory $dir"
	exit 0
fi
n=$(find "$dir" -type f | wc -l)
if [ "$n" = 0 ]; then
	echo "ok 1 - no sanitizer reports"
	exit 0
fi
echo "not ok 1 - $n sanitizer report(s) in $dir"
find "$dir" -type f | head -5 | while read -r f; do
	echo "# $f:"
	head -40 "$f" | sed 's/^/#   /'
done
