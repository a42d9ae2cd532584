#!/usr/bin/env bats
# array.bats: a lint-bats.py fixture (never run by bats). NAME=( ... ) is one
# word, an array: its ")" ends no body (it did: the rest of the test went
# unread, as test/registry.bats's `[ "$status" -eq 0 ] && [ "$output" =
# from-buildah ]` after `local B=(buildah ...)`), and NAME=() is no function
# header. Every line marked "# flag" must be reported, and no other.

@test "an && list after local B=( ... )" {
	local B=(buildah --root "$S/root" --storage-driver vfs)
	run "${B[@]}" images
	[ "$status" -eq 0 ] && [ "$output" = from-buildah ] # flag
	true
}

@test "an && list after an empty array and an append" {
	pids=()
	pids+=($!)
	m=([1]=x)
	[ "${#pids[@]}" -eq 1 ] && [ "${m[1]}" = x ] # flag
	true
}

@test "the last list after an array still counts" {
	local a=(1 2) b
	b=("${a[@]}")
	[ "${b[0]}" = 1 ] && [ "${b[1]}" = 2 ]
}
