/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto.h: qpod's channel protocol between the runner (host) and hyperstart
 * (guest PID 1). docs/protocol.md draws every frame and message; this header
 * is the single source of its numbers.
 *
 * Two virtio-serial ports, found by name in the guest:
 *   control  "sh.hyper.channel.0": frames | u32 type | u32 length | payload |
 *   streams  "sh.hyper.channel.1": frames | u64 seq  | u32 length | payload |
 * All integers are big-endian; length counts the header too. Control payloads
 * are JSON (GETVERSION/ACK carry a raw u32 version). A stream frame with an
 * empty payload is the end of that stream. Stream 0 carries credit grants:
 * every data stream starts with QP_WINDOW bytes of credit for its sender and
 * a receiver hands credit back as it delivers bytes, so no byte is ever
 * dropped and no side buffers more than QP_WINDOW per stream.
 *
 * Shape and codes follow hyperhq/hyperstart (api.h); qpod fixes its known
 * bugs: signal deaths report 128+N, stdout and stderr both end with EOF,
 * stdin has flow control, every length is bounded, a host whose reader of
 * an output stream went away says so (CLOSEOUTPUT), and a newer peer is
 * tolerated (versions >= 1000000 are backward compatible; unknown JSON keys
 * are ignored).
 */
#ifndef QPOD_PROTO_H
#define QPOD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "json.h"

#define QP_VERSION        1000005u  /* this implementation (1000005: TOP, pidNamespace; 1000004: RESUME; 1000003: EXECCMD, rootDevice) */
#define QP_VERSION_MIN    1000004u  /* oldest peer it talks to */

#define QP_PORT_CTL       "sh.hyper.channel.0"
#define QP_PORT_STREAM    "sh.hyper.channel.1"

#define QP_CTL_HDR        8u
#define QP_CTL_MAX        (1u << 20)           /* whole control frame */
#define QP_STREAM_HDR     12u
#define QP_STREAM_PAYLOAD (64u << 10)          /* largest stream payload */
#define QP_WINDOW         (256u << 10)         /* initial credit per stream */
#define QP_SEQ_CREDIT     0                    /* stream 0: credit grants */
#define QP_CREDIT_ENTRY   12u                  /* u64 seq | u32 bytes */
#define QP_SEQ_STDIO      1                    /* the runner's stdin and stdout stream */
#define QP_SEQ_STDERR     2                    /* the runner's stderr stream */

#define QP_MAX_ARGS       4096u                /* argv entries */
#define QP_MAX_ENV        4096u                /* environment entries */
#define QP_MAX_MOUNTS     64u                  /* volumes */
#define QP_MAX_PROCS      64u                  /* processes running at once in the VM */
#define QP_ID_MAX         64u                  /* process ids: [A-Za-z0-9._-], 1..63 */

enum qp_type {
	QP_GETVERSION = 0,
	QP_STARTPOD = 1,
	QP_DESTROYPOD = 4,
	QP_EXECCMD = 6,
	QP_READY = 8,
	QP_ACK = 9,
	QP_ERROR = 10,
	QP_WINSIZE = 11,
	QP_PING = 12,
	QP_NEWCONTAINER = 17,
	QP_KILLCONTAINER = 18,
	QP_PROCESSASYNCEVENT = 23,
	QP_SIGNALPROCESS = 24,
	/* qpod's own, numbered from 1000, clear of hyperstart's codes */
	QP_CLOSEOUTPUT = 1000,     /* H->G {"seq":N}: the host's reader of output stream N is gone */
	QP_RESUME = 1001,          /* H->G {"entropy","realtimeNs"}: a VM restored from a template is a new machine */
	QP_TOP = 1002,             /* H->G {"container"}: ACK {"Titles":[..],"Processes":[[..]..]}, the container's processes */
};

const char *qp_type_name(uint32_t type);

/* ---- framing ------------------------------------------------------------ */

struct qp_frame {
	uint64_t id;          /* control: type; stream: seq */
	uint32_t len;         /* payload bytes */
	const uint8_t *data;  /* valid until the next reader call */
};

/* Reassembles frames from a byte stream. Frames larger than max are skipped
 * whole and reported once (-EMSGSIZE), so one bad frame never desyncs the
 * channel; a length below the header size cannot be resynced (-EPROTO). */
struct qp_reader {
	uint8_t *buf;
	size_t len;       /* bytes held */
	size_t off;       /* start of unconsumed bytes */
	size_t cap;
	size_t hdr;       /* QP_CTL_HDR or QP_STREAM_HDR */
	size_t max;       /* largest whole frame accepted */
	uint64_t skip;    /* bytes of an oversized frame still to drop */
};

int qp_reader_init(struct qp_reader *r, size_t hdr, size_t max);
void qp_reader_free(struct qp_reader *r);
/* One read() from fd into the buffer: bytes read, 0 at EOF, or -errno. */
ssize_t qp_reader_fill(struct qp_reader *r, int fd);
/* Append bytes from memory (tests, fuzzing): the count taken, which is 0
 * until the caller drains the complete frames it holds; or -errno. */
ssize_t qp_reader_feed(struct qp_reader *r, const void *data, size_t n);
/* Next complete frame: 1 (f filled), 0 (need more bytes), -EMSGSIZE (an
 * oversized frame is being dropped; f has its id and len, no data), or
 * -EPROTO (a length below the header size; buffered bytes are dropped).
 * f->data stays valid until the next fill or feed. */
int qp_reader_next(struct qp_reader *r, struct qp_frame *f);

/* A byte queue for non-blocking writers. */
struct qp_queue {
	uint8_t *buf;
	size_t head, len, cap;
};

void qp_queue_free(struct qp_queue *q);
int qp_queue_put(struct qp_queue *q, const void *data, size_t n);
/* Write as much as fd takes: 0 when empty, 1 when bytes remain (EAGAIN), -errno. */
int qp_queue_flush(struct qp_queue *q, int fd);
static inline size_t qp_queue_len(const struct qp_queue *q) { return q->len; }

/* Queue one frame. -EMSGSIZE when it is larger than the protocol allows. */
int qp_put_ctl(struct qp_queue *q, uint32_t type, const void *payload, size_t n);
int qp_put_stream(struct qp_queue *q, uint64_t seq, const void *payload, size_t n);
int qp_put_credit(struct qp_queue *q, uint64_t seq, uint32_t bytes);

/* Walk a credit frame's payload: calls fn(seq, bytes) per entry. -EPROTO if
 * the payload is not a whole number of entries. */
int qp_credit_each(const struct qp_frame *f, void (*fn)(void *ctx, uint64_t seq, uint32_t bytes), void *ctx);

static inline uint32_t qp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void qp_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static inline uint64_t qp_be64(const uint8_t *p)
{
	return (uint64_t)qp_be32(p) << 32 | qp_be32(p + 4);
}

static inline void qp_put_be64(uint8_t *p, uint64_t v)
{
	qp_put_be32(p, (uint32_t)(v >> 32));
	qp_put_be32(p + 4, (uint32_t)v);
}

/* ---- messages ----------------------------------------------------------- */

/* NEWCONTAINER's process (hyperstart's "process" object). */
struct qp_process {
	char *id;             /* "init" */
	char **args;          /* NULL-terminated, at least one */
	char **env;           /* NULL-terminated "K=V" (wire: [{"env":K,"value":V}]) */
	char *workdir;        /* absolute; created if missing */
	char *user;           /* "", name, uid, name:group or uid:gid */
	bool terminal;        /* pty instead of pipes (stderr goes to the pty) */
	bool stdin_open;      /* else stdin is /dev/null and no stdin stream */
	uint64_t stdio_seq;   /* stdin and stdout stream */
	uint64_t stderr_seq;  /* stderr stream (0 with a terminal) */
	uint16_t rows, cols;  /* initial window size for a terminal */
	char **groups;        /* --group-add: names or gids, NULL-terminated, or NULL */
	struct qp_rlimit *rlimits;  /* --ulimit; RLIMIT_NOFILE defaults to 1048576 */
	size_t nrlimits;
	int umask;            /* -1: 0022 */
};

#define QP_MAX_GROUPS     64u
#define QP_MAX_RLIMITS    16u
#define QP_MAX_TMPFS      64u

/* --ulimit NAME=SOFT[:HARD]; wire {"type":"nofile","soft":N,"hard":N}. */
struct qp_rlimit {
	int resource;         /* RLIMIT_* */
	uint64_t soft, hard;  /* UINT64_MAX: unlimited */
};

/* docker's ulimit names (nofile, nproc, core, ...) to RLIMIT_*, or -1. */
int qp_rlimit_resource(const char *name);
const char *qp_rlimit_name(int resource);

struct qp_tmpfs {
	char *path;           /* absolute guest path */
	char *options;        /* tmpfs mount options (size=, mode=, noexec, ...), or NULL */
};

struct qp_mount {
	char *source;         /* 9p mount tag */
	char *path;           /* absolute guest path */
	bool read_only;
	char *file;           /* a single-file volume: the file's name in the share; NULL: the whole share */
};

#define QP_MAX_DNS        8u                   /* nameservers */
#define QP_MAX_HOSTS      64u                  /* extra /etc/hosts entries */

struct qp_host {
	char *name;           /* a hostname: letters, digits, '-', '.', '_' */
	char *ip;             /* IPv4 or IPv6 text */
};

/* STARTPOD's "network": the guest's interface, resolver and hosts. lo is
 * always up; without a device the VM has loopback only. */
struct qp_net {
	char *device;         /* "eth0", or NULL: no interface */
	char *address;        /* IPv4 of the device */
	unsigned prefix;      /* 1..32 */
	char *gateway;        /* IPv4 of the default route, or NULL */
	unsigned mtu;         /* 0: the device's own */
	char **dns;           /* NULL-terminated nameservers; NULL: keep the image's resolv.conf */
	struct qp_host *hosts;
	size_t nhosts;
};

/* STARTPOD + NEWCONTAINER: one container per VM. The image root (the
 * read-only lower layer) is either a 9p share or a block device holding a
 * filesystem image (a bundle's squashfs): exactly one of share, root_device. */
struct qp_pod {
	char *hostname;
	char *share;          /* 9p tag of the image root, or NULL */
	char *root_device;    /* "vda".."vdz": the disk of the image root, or NULL */
	char *root_type;      /* its filesystem: "squashfs" (the only one) */
	struct qp_net net;
};

struct qp_container {
	char *id;
	struct qp_mount *mounts;
	size_t nmounts;
	struct qp_tmpfs *tmpfs;  /* --tmpfs */
	size_t ntmpfs;
	uint64_t shm_size;    /* /dev/shm in bytes; 0: 64 MiB, as docker */
	bool read_only;       /* --read-only: the root is mounted read-only */
	bool pid_namespace;   /* the command is PID 1 of a PID namespace of its own; execs join it */
	struct qp_process proc;
};

/* PROCESSASYNCEVENT: how the process ended. */
struct qp_exit {
	int status;           /* shell-style: code, 128+signal, 126/127 exec failure */
	int signal;           /* the killing signal, or 0 */
	bool oom;             /* the kernel's OOM killer took it */
	char error[256];      /* why exec failed, or "" */
	char process[QP_ID_MAX];  /* whose exit: "init" (the container's command) or an exec's id */
	uint64_t started_ns;  /* guest CLOCK_BOOTTIME at exec and at exit */
	uint64_t exited_ns;
};

/* Writers append a JSON object to w; readers parse a payload, check every
 * field against the limits above and return 0 or -EINVAL with err set.
 * Readers ignore unknown keys (a newer peer may send more). */
int qp_pod_write(struct jw *w, const struct qp_pod *p);
int qp_pod_read(const uint8_t *buf, size_t n, struct qp_pod *p, struct qerr *err);
void qp_pod_free(struct qp_pod *p);

int qp_container_write(struct jw *w, const struct qp_container *c);
int qp_container_read(const uint8_t *buf, size_t n, struct qp_container *c, struct qerr *err);
void qp_container_free(struct qp_container *c);

int qp_exit_write(struct jw *w, const char *container, const char *process, const struct qp_exit *e);
/* The other event of a process: its exec worked ({"event":"started"}). */
int qp_started_write(struct jw *w, const char *container, const char *process);
/* 0 for an exit; 1 for the started event of e->process (its exec worked). */
int qp_exit_read(const uint8_t *buf, size_t n, struct qp_exit *e, struct qerr *err);

/* EXECCMD {"container","process":{...}}: one more process in the running
 * container (an exec, or the container's command again: id "init"). */
int qp_exec_write(struct jw *w, const struct qp_process *p);
/* The "process" object alone (a monitor's exec request carries it too); no
 * workdir when p has none (the guest takes /). */
void qp_process_write(struct jw *w, const struct qp_process *p);
int qp_exec_read(const uint8_t *buf, size_t n, struct qp_process *p, struct qerr *err);
void qp_process_free(struct qp_process *p);
/* A process id as the protocol takes it. */
bool qp_id_ok(const char *id);

/* WINSIZE {"container","process","row","column"}; SIGNALPROCESS {"container","process","signal"}.
 * The readers fill process (cap QP_ID_MAX) with the id, "init" when absent. */
int qp_winsize_write(struct jw *w, const char *process, uint16_t rows, uint16_t cols);
int qp_signal_write(struct jw *w, const char *process, int sig);
int qp_error_write(struct jw *w, const char *message);
int qp_winsize_read(const uint8_t *buf, size_t n, char *process, uint16_t *rows, uint16_t *cols, struct qerr *err);
int qp_signal_read(const uint8_t *buf, size_t n, char *process, int *sig, struct qerr *err);
/* CLOSEOUTPUT {"seq":N}, N an output stream (not 0). */
int qp_closeoutput_write(struct jw *w, uint64_t seq);
int qp_closeoutput_read(const uint8_t *buf, size_t n, uint64_t *seq, struct qerr *err);

/* Token space for a process that reads one payload at a time (hyperstart's
 * control loop): every message reader then parses a payload that fits into
 * it, instead of into an allocation of its own. Under TCG that matters: a
 * fresh token array of a few KB is an mmap, page faults and an munmap at
 * every message, kernel code a VM restored from a template translates
 * again. Not for threads; a payload that does not fit is allocated. */
void qp_payload_space(struct json_tok *t, uint32_t cap);

/* RESUME {"entropy":HEX,"realtimeNs":N}: QP_ENTROPY_MIN..QP_ENTROPY_MAX bytes
 * of host randomness for the guest's RNG, and the host's CLOCK_REALTIME. */
#define QP_ENTROPY_MIN    32u
#define QP_ENTROPY_MAX    256u
int qp_resume_write(struct jw *w, const uint8_t *entropy, size_t n, uint64_t realtime_ns);
/* entropy has room for QP_ENTROPY_MAX bytes; *n gets the count. */
int qp_resume_read(const uint8_t *buf, size_t len, uint8_t *entropy, size_t *n, uint64_t *realtime_ns,
		   struct qerr *err);

/* TOP's ACK: {"Titles":[...],"Processes":[[...],...]} of strings, every row
 * as long as Titles (top.c). 0, or -EINVAL with err set. */
#define QP_TOP_COLS       16u
#define QP_TOP_ROWS       4096u
int qp_top_check(const uint8_t *buf, size_t n, struct qerr *err);

/* READY payload {"boottimeNs":N} (guest CLOCK_BOOTTIME); ERROR payload {"message":"..."}. */
int qp_ready_write(struct jw *w, uint64_t boottime_ns);
int qp_ready_read(const uint8_t *buf, size_t n, uint64_t *boottime_ns);
/* Copies the message of an ERROR payload into out ("" when absent). */
void qp_error_read(const uint8_t *buf, size_t n, char *out, size_t cap);

#endif
