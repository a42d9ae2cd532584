/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h: the one clock deadlines and timings are measured on (clock.c).
 * CLOCK_MONOTONIC, so a change of the wall clock never fires or stretches
 * a timeout; in seconds as a double, the unit every deadline in qpod has.
 */
#ifndef QPOD_CLOCK_H
#define QPOD_CLOCK_H

/* Seconds since some fixed point (boot): only differences mean anything. */
double now_s(void);

#endif
