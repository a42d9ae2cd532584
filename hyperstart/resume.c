/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resume.c: RESUME, the first message a VM restored from a template gets.
 * Every restored VM starts as a copy of the saved one, with the same kernel
 * RNG state and a clock stopped at the save. Before anything else runs, the
 * host's entropy goes into the input pool (RNDADDENTROPY, credited) and the
 * CRNG is reseeded from it, so no two VMs read the same /dev/urandom bytes:
 * a CRNG that was not ready yet (a small TCG guest seldom is at READY)
 * reseeds itself as the credit makes it ready; a ready one is told to
 * (RNDRESEEDCRNG). CLOCK_REALTIME is set first, to the host's, plus the
 * time the guest took to read the message. The reply is ACK
 * with this guest's protocol version (as GETVERSION's), or ERROR.
 */
#include <errno.h>
#include <linux/random.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

static int reseed(const uint8_t *entropy, size_t n, struct qerr *err)
{
	struct {
		struct rand_pool_info info;
		uint8_t buf[QP_ENTROPY_MAX];
	} in;
	uint8_t probe;
	bool ready = getrandom(&probe, 1, GRND_NONBLOCK) == 1;
	int e = 0, fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return qerr_sys(err, errno, "open /dev/urandom");
	in.info.entropy_count = (int)(n * 8);
	in.info.buf_size = (int)n;
	memcpy(in.buf, entropy, n);
	if (ioctl(fd, RNDADDENTROPY, &in.info) < 0)
		e = qerr_sys(err, errno, "RNDADDENTROPY");
	else if (ready && ioctl(fd, RNDRESEEDCRNG) < 0)
		e = qerr_sys(err, errno, "RNDRESEEDCRNG");
	explicit_bzero(&in, sizeof in);
	close(fd);
	return e;
}

void resume(struct hs *hs, const struct qp_frame *f)
{
	uint8_t entropy[QP_ENTROPY_MAX];
	size_t n;
	uint64_t ns;
	struct qerr err;
	struct timespec got, now;
	/* The host's clock was right when the frame arrived: what parsing takes
	 * (the first JSON after a restore is tens of ms under TCG) is added. */
	clock_gettime(CLOCK_MONOTONIC, &got);
	if (qp_resume_read(f->data, f->len, entropy, &n, &ns, &err) < 0) {
		ctl_error(hs, "RESUME: %s", err.msg);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns += (uint64_t)((now.tv_sec - got.tv_sec) * 1000000000ll + (now.tv_nsec - got.tv_nsec));
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };
	int e = clock_settime(CLOCK_REALTIME, &ts) < 0 ? qerr_sys(&err, errno, "set the clock") : reseed(entropy, n, &err);
	explicit_bzero(entropy, sizeof entropy);
	if (e) {
		ctl_error(hs, "RESUME: %s", err.msg);
		return;
	}
	uint8_t v[4];
	qp_put_be32(v, QP_VERSION);
	ctl_reply(hs, QP_ACK, v, sizeof v);
}
