/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipe.c: a bounded queue of byte blocks from one producer thread to one
 * consumer thread.
 *
 * blob.c runs decompression and hashing in a producer thread while the
 * caller's thread parses the tar and writes files, so the two costs overlap
 * on two cores (GNU tar gets the same from running gzip as a separate
 * process). Blocks are copied into PIPE_SLOTS buffers of PIPE_SLOT bytes;
 * small writes are coalesced. A slot handed to the consumer stays valid until
 * its next pipe_get() (libarchive's read-callback contract).
 *
 * Ending: the producer calls pipe_close(err) (0: end of data). The consumer
 * may pipe_stop() early (an error in the layer): the producer's next
 * pipe_put() returns -ECANCELED. pipe_discard() tells the producer to keep
 * going (it still has bytes to hash) without queueing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layer/pipe.h"

int pipe_init(struct pipe *p)
{
	*p = (struct pipe){ .held = -1 };
	for (int i = 0; i < PIPE_SLOTS; i++)
		if (!(p->buf[i] = malloc(PIPE_SLOT))) {
			pipe_free(p);
			return -ENOMEM;
		}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->ready = true;
	return 0;
}

void pipe_free(struct pipe *p)
{
	for (int i = 0; i < PIPE_SLOTS; i++)
		free(p->buf[i]);
	if (p->ready) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
	*p = (struct pipe){ .held = -1 };
}

/* Producer: hand the partly filled slot over. Called with mu held. */
static void push_fill(struct pipe *p)
{
	if (!p->fill_n)
		return;
	p->len[p->fill] = p->fill_n;
	p->count++;
	p->fill_n = 0;
	pthread_cond_broadcast(&p->cv);
}

int pipe_put(struct pipe *p, const void *data, size_t n)
{
	const char *s = data;
	pthread_mutex_lock(&p->mu);
	while (n && !p->stop) {
		if (p->discard) {
			n = 0;
			break;
		}
		if (p->fill_n == 0) {
			/* need a free slot: not queued and not held by the consumer */
			while (!p->stop && !p->discard && p->count + (p->held >= 0) >= PIPE_SLOTS)
				pthread_cond_wait(&p->cv, &p->mu);
			if (p->stop || p->discard)
				continue;
			p->fill = (p->head + p->count + (p->held >= 0)) % PIPE_SLOTS;
		}
		size_t k = PIPE_SLOT - p->fill_n < n ? PIPE_SLOT - p->fill_n : n;
		pthread_mutex_unlock(&p->mu);
		memcpy(p->buf[p->fill] + p->fill_n, s, k);
		pthread_mutex_lock(&p->mu);
		p->fill_n += k;
		s += k;
		n -= k;
		if (p->fill_n == PIPE_SLOT)
			push_fill(p);
	}
	int r = p->stop ? -ECANCELED : 0;
	pthread_mutex_unlock(&p->mu);
	return r;
}

void pipe_close(struct pipe *p, int err)
{
	pthread_mutex_lock(&p->mu);
	push_fill(p);
	p->closed = true;
	p->err = err;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

ssize_t pipe_get(struct pipe *p, const void **out)
{
	pthread_mutex_lock(&p->mu);
	if (p->held >= 0) {          /* the previous block is done with */
		p->head = (p->head + 1) % PIPE_SLOTS;
		p->held = -1;
		pthread_cond_broadcast(&p->cv);
	}
	while (!p->count && !p->closed)
		pthread_cond_wait(&p->cv, &p->mu);
	ssize_t r;
	if (p->count) {
		p->held = (int)p->head;
		p->count--;
		*out = p->buf[p->head];
		r = (ssize_t)p->len[p->head];
	} else
		r = p->err < 0 ? p->err : 0;
	pthread_mutex_unlock(&p->mu);
	return r;
}

static void set_flag(struct pipe *p, bool *flag)
{
	pthread_mutex_lock(&p->mu);
	*flag = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void pipe_stop(struct pipe *p) { set_flag(p, &p->stop); }
void pipe_discard(struct pipe *p) { set_flag(p, &p->discard); }
