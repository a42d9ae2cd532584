/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format.h: the `--format` templates of inspect and ps, the subset of Go's
 * text/template that scripts use with docker:
 *
 *   text and \t \n          literal text; \t and \n become a tab and a newline
 *   {{.}}  {{.A.B.C}}       the object, or a field path into it
 *   {{json .X}}             X as compact JSON (also {{.X | json}})
 *   {{index .X "k"}}        a key of an object (or an element: index .X 0)
 *   {{len .X}}  {{upper .X}}  {{lower .X}}  {{join .X ","}}
 *   table ...               a header row (docker's names for ps's fields),
 *                           then the rows; columns split at tabs and aligned
 *
 * Values print as Go prints them: strings bare, arrays "[a b]", objects
 * "map[k:v]" (keys sorted), null "<nil>", and a Healthcheck's Interval,
 * Timeout, StartPeriod and StartInterval as durations ("30s"). Anything else
 * ({{range}}, {{if}}, variables, other functions) is refused when the
 * template is compiled, with one line naming it; a field the object does
 * not have is an error when it is rendered, as in docker.
 */
#ifndef QPOD_FORMAT_H
#define QPOD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

struct fmt;

/* Compile text; NULL with why filled (one line) when it is refused. */
struct fmt *fmt_compile(const char *text, char *why, size_t cap);
void fmt_free(struct fmt *f);
bool fmt_is_table(const struct fmt *f);
/* Render f against value idx of j, appending to *out (malloc'ed, NUL-ended,
 * *len bytes). 0, or -EINVAL with why filled (a missing key, a bad index). */
int fmt_render(const struct fmt *f, const struct json *j, int idx, char **out, size_t *len, char *why,
	       size_t cap);
/* The header row of a table: each field's docker column name. */
int fmt_header(const struct fmt *f, char **out, size_t *len);
/* Lines whose cells are split by tabs, aligned as docker's tabwriter does
 * (at least 10 wide, 3 spaces apart; a line's last cell is not padded). */
void fmt_align(const char *text, size_t len, char **out, size_t *outlen);

#endif
