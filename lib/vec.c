/* SPDX-License-Identifier: Apache-2.0 */
/* vec.c: vec_grow (vec.h). */
#include <errno.h>
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
