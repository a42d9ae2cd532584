/* SPDX-License-Identifier: Apache-2.0 */
/* vec.c: vec_grow and vec_reserve (vec.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

int vec_grow(void *vec, size_t n, size_t size)
{
	void **v = vec;
	void *p = realloc(*v, (n + 2) * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (n + 1) * size, 0, size);
	*v = p;
	return 0;
}

int vec_reserve(void *vec, size_t *cap, size_t need, size_t size, size_t first)
{
	void **v = vec;
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : first;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	if (c > SIZE_MAX / size)
		return -ENOMEM;
	void *p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}
