/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vec.h: the one way an array grows by an element (vec.c). Arrays here are
 * short (flags, layers, cache entries, rows of qpod ps), so each element is
 * one realloc: no capacity to keep beside the count.
 */
#ifndef QPOD_VEC_H
#define QPOD_VEC_H

#include <stddef.h>

/* *vec (a pointer to an array of n elements of size bytes, or to NULL) gets
 * room for element n and, zeroed, one more after it: a vector of pointers
 * stays NULL-terminated. The caller stores element n and counts it.
 * 0, or -ENOMEM with *vec as it was. */
int vec_grow(void *vec, size_t n, size_t size);

#endif
