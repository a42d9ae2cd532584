/* SPDX-License-Identifier: Apache-2.0 */
/* cli_format.c: the --format templates (cli/format.c) against docker's
 * output for the same template and object: fields, json, index, len, join,
 * upper, lower, Go's printing of lists, maps, null and durations, tables,
 * and what is refused. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tap.h"

static const char *doc =
	"{\"Id\":\"abc\",\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":42,"
	"\"Health\":null},\"Config\":{\"Env\":[\"A=1\",\"B=x y\"],\"Labels\":{\"b\":\"2\",\"a\":\"1\"},"
	"\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"cat /status\"],\"Interval\":1000000000,"
	"\"Timeout\":90000000000,\"StartPeriod\":1500000000,\"Retries\":0}},\"Names\":\"web\"}";

/* Render text against doc: the output, or "ERR: why". Caller frees. */
static char *render(const char *text)
{
	char why[256] = "", *out = NULL;
	size_t len = 0;
	struct json j;
	struct fmt *f = fmt_compile(text, why, sizeof why);
	if (!f || json_parse_alloc(&j, doc, strlen(doc)) < 0) {
		char *e;
		fmt_free(f);
		return asprintf(&e, "ERR: %s", why) < 0 ? NULL : e;
	}
	if (fmt_render(f, &j, 0, &out, &len, why, sizeof why) < 0) {
		free(out);
		if (asprintf(&out, "ERR: %s", why) < 0)
			out = NULL;
	}
	json_free(&j);
	fmt_free(f);
	return out;
}

static void check(const char *text, const char *want, const char *name)
{
	char *got = render(text);
	is_str(got, want, name);
	free(got);
}

static void refused(const char *text, const char *name)
{
	char why[256] = "";
	struct fmt *f = fmt_compile(text, why, sizeof why);
	ok(!f && *why && !strchr(why, '\n'), name);
	fmt_free(f);
}

int main(void)
{
	plan(24);
	check("{{.State.Status}}", "running", "a field path");
	check("{{ .State.Running }} {{.State.Pid}}", "true 42", "bools and numbers, spaces in actions");
	check("{{json .Config.Env}}", "[\"A=1\",\"B=x y\"]", "json of a list");
	check("{{.Config.Env | json}}", "[\"A=1\",\"B=x y\"]", "json through a pipe");
	check("{{json .Name}}", "\"/web\"", "json of a string keeps its quotes");
	check("{{.Config.Env}}", "[A=1 B=x y]", "a list as Go prints it");
	check("{{.Config.Labels}}", "map[a:1 b:2]", "a map as Go prints it: keys sorted");
	check("{{index .Config.Labels \"b\"}}|{{index .Config.Labels \"zz\"}}", "2|", "index: a key, a missing key");
	check("{{index .Config.Env 1}}", "B=x y", "index: an element");
	check("{{len .Config.Env}} {{len .Name}}", "2 4", "len of a list and of a string");
	check("{{upper .Names}}{{lower \"AB\"}}", "WEBab", "upper and lower");
	check("{{join .Config.Env \",\"}}", "A=1,B=x y", "join");
	check("{{.State.Health}}", "<nil>", "null prints <nil>");
	check("{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Timeout}} {{.Config.Healthcheck.StartPeriod}}",
	      "1s 1m30s 1.5s", "a health check's times as Go durations");
	check("{{.Config.Healthcheck.Test}}", "[CMD-SHELL cat /status]", "docker's test=[CMD-SHELL ...] form");
	check("a\\tb\\n{{.Id}}", "a\tb\nabc", "\\t and \\n in the text");
	check("{{.NoSuchField}}", "ERR: template: map has no entry for key \"NoSuchField\"", "a missing key is an error");
	check("{{json .}}", doc, "the whole object");
	refused("{{range .Config.Env}}{{.}}{{end}}", "range is refused");
	refused("{{if .State.Running}}x{{end}}", "if is refused");
	refused("{{$x := .Id}}", "variables are refused");
	refused("{{.Id", "an unclosed action is refused");
	char why[64], *h = NULL, *al = NULL;
	size_t hl = 0, al_len = 0;
	struct fmt *f = fmt_compile("table {{.ID}}\\t{{.Names}}\\t{{.Foo}}", why, sizeof why);
	ok(f && fmt_is_table(f) && fmt_header(f, &h, &hl) == 0 && !strcmp(h, "CONTAINER ID\tNAMES\tFOO"),
	   "table: docker's header names");
	const char rows[] = "CONTAINER ID\tNAMES\nabc\tweb\n";
	fmt_align(rows, sizeof rows - 1, &al, &al_len);
	is_str(al, "CONTAINER ID   NAMES\nabc            web\n", "tabwriter alignment: 3 apart");
	free(h);
	free(al);
	fmt_free(f);
	return done();
}
