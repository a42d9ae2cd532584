/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipe.h: blocks from a producer thread to a consumer (pipe.c), the two
 * halves of a big layer in blob.c.
 */
#ifndef QPOD_PACKER_PIPE_H
#define QPOD_PACKER_PIPE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PIPE_SLOTS 4
#define PIPE_SLOT (1u << 20)
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[PIPE_SLOTS];
	size_t len[PIPE_SLOTS];
	unsigned head, count;    /* queued slots start at head */
	int held;                /* slot the consumer holds, or -1 */
	unsigned fill;           /* slot the producer is filling */
	size_t fill_n;
	int err;
	bool ready, closed, stop, discard;
};
int pipe_init(struct pipe *p);
void pipe_free(struct pipe *p);
int pipe_put(struct pipe *p, const void *data, size_t n);  /* producer; -ECANCELED once stopped */
void pipe_close(struct pipe *p, int err);                   /* producer: end (err < 0: failed) */
ssize_t pipe_get(struct pipe *p, const void **out);         /* consumer: bytes, 0 at end, or err */
void pipe_stop(struct pipe *p);                             /* consumer: abandon */
void pipe_discard(struct pipe *p);                          /* consumer: done reading, producer goes on */

#endif
