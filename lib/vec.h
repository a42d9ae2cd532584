/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vec.h: the two ways an array grows (vec.c). Short arrays (flags, layers,
 * cache entries, rows of qpod ps) grow by an element, one realloc each, with
 * no capacity kept beside the count: vec_grow. Buffers and long arrays
 * (JSON being written, a channel's queue, a program's output, a directory's
 * names, an archive's members) double their capacity: vec_reserve.
 */
#ifndef QPOD_VEC_H
#define QPOD_VEC_H

#include <stddef.h>

/* *vec (a pointer to an array of n elements of size bytes, or to NULL) gets
 * room for element n and, zeroed, one more after it: a vector of pointers
 * stays NULL-terminated. The caller stores element n and counts it.
 * 0, or -ENOMEM with *vec as it was. */
int vec_grow(void *vec, size_t n, size_t size);

/* *vec (an array of *cap elements of size bytes, or NULL with *cap 0) gets
 * room for at least need elements: its capacity doubles from first (or from
 * *cap) until it is enough. 0, or -ENOMEM (also when the size would not fit
 * a size_t) with *vec and *cap as they were. */
int vec_reserve(void *vec, size_t *cap, size_t need, size_t size, size_t first);

#endif
