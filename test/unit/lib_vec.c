/* SPDX-License-Identifier: Apache-2.0 */
/* lib_vec.c: the two ways an array grows (lib/vec.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "vec.h"

static void grow(void)
{
	char **v = NULL;
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		ok(vec_grow(&v, n, sizeof *v) == 0, "vec_grow: room for one more");
		v[n++] = "x";
		ok(v[n] == NULL, "and the vector stays NULL-terminated");
	}
	free(v);
}

static void reserve(void)
{
	int *v = NULL;
	size_t cap = 0;
	is_int(vec_reserve(&v, &cap, 1, sizeof *v, 16), 0, "vec_reserve: the first room");
	is_int(cap, 16, "starts at first");
	is_int(vec_reserve(&v, &cap, 16, sizeof *v, 16), 0, "what fits needs nothing");
	is_int(cap, 16, "and keeps the capacity");
	for (int i = 0; i < 16; i++)
		v[i] = i;
	is_int(vec_reserve(&v, &cap, 100, sizeof *v, 16), 0, "more than double");
	is_int(cap, 128, "doubles until it is enough");
	ok(v[15] == 15, "what was there is kept");
	int *before = v;
	is_int(vec_reserve(&v, &cap, SIZE_MAX / 2, sizeof *v, 16), -ENOMEM, "a size that overflows is refused");
	ok(v == before && cap == 128, "and leaves the array as it was");
	free(v);
}

int main(void)
{
	plan(15);
	grow();
	reserve();
	return done();
}
