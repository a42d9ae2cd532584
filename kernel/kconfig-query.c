/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kconfig-query: what Kconfig itself says about options of a resolved
 * config. A kconfig front end like the kernel's conf and mconf:
 * kernel/kernel.sh builds it against the kconfig objects that `make
 * olddefconfig` left in the config dir (hence GPL-2.0, as they are).
 *
 *   kconfig-query why CONFIG LINE...
 *   kconfig-query settable CONFIG NAME...
 *
 * Reads the Kconfig tree ($srctree/Kconfig, with the variables kbuild gives
 * conf: ARCH, SRCARCH, KERNELVERSION, CC, CC_VERSION_TEXT, LD, ...) and the
 * resolved CONFIG. First it writes the config back and compares it with
 * CONFIG byte for byte: a different reading (other variables, another tree)
 * would speak of a config that is not the one resolved, so then it says so
 * and exits 2.
 *
 * why: each LINE is a fragment line that did not survive, `CONFIG_X=VALUE`
 * or `# CONFIG_X is not set`; for each it prints lines `CONFIG_X<TAB>TEXT`:
 *
 *   CONFIG_X	no Kconfig file defines it
 *   CONFIG_X	drivers/x/Kconfig:12: depends on A [=n] && B [=y]
 *   CONFIG_X	needs CONFIG_A=y           (each symbol the dependency needs
 *   CONFIG_X	needs CONFIG_C=y (for CONFIG_A)    and what that one needs)
 *   CONFIG_X	needs one of: D [=n] || E [=n]
 *   CONFIG_X	needs CONFIG_F off (it is y)
 *   CONFIG_X	has no prompt: only a select or default sets it; selected by: ...
 *   CONFIG_X	is on, selected by: G [=y]
 *   CONFIG_X	cannot be turned off: its prompt shows only if EXPERT [=n]
 *   CONFIG_X	range [12 25]
 *
 * settable: prints, one a line, those NAMEs (without CONFIG_) that have a
 * prompt: a fragment can set them; the others follow from those.
 *
 * Exit 0 (what could be said is printed), 1 on a usage error, 2 as above.
 */
#include <string.h>

#include "lkc.h"

static struct symbol *said[64];
static int nsaid;

/* Name each symbol once per option: two paths to one dependency, one line. */
static int first_time(struct symbol *s)
{
	for (int i = 0; i < nsaid; i++)
		if (said[i] == s)
			return 0;
	if (nsaid < 64)
		said[nsaid++] = s;
	return 1;
}

static void line(const char *opt, const char *fmt, struct expr *e, const char *tail)
{
	struct gstr g = str_new();
	if (e)
		expr_gstr_print(e, &g);
	printf("%s\t", opt);
	printf(fmt, str_get(&g));
	printf("%s\n", tail ? tail : "");
	str_free(&g);
}

/* need OPT E WANT FOR: name what E lacks to reach WANT, and what that lacks. */
static void need(const char *opt, struct expr *e, tristate want, const char *for_, int depth)
{
	char tail[300] = "";
	if (!e || expr_calc_value(e) >= want || depth > 8)
		return;
	if (for_)
		snprintf(tail, sizeof tail, " (for CONFIG_%s)", for_);
	switch (e->type) {
	case E_AND:
		need(opt, e->left.expr, want, for_, depth);
		need(opt, e->right.expr, want, for_, depth);
		break;
	case E_OR:
		line(opt, "needs one of: %s", e, tail);
		break;
	case E_NOT:
		if (e->left.expr->type == E_SYMBOL && e->left.expr->left.sym->name) {
			struct symbol *s = e->left.expr->left.sym;
			printf("%s\tneeds CONFIG_%s off (it is %s)%s\n", opt, s->name, sym_get_string_value(s), tail);
		} else {
			line(opt, "needs: !(%s)", e->left.expr, tail);
		}
		break;
	case E_SYMBOL: {
		struct symbol *s = e->left.sym;
		if (!s->name || !first_time(s))
			break;
		printf("%s\tneeds CONFIG_%s=%s%s\n", opt, s->name, want == mod ? "m" : "y", tail);
		need(opt, s->dir_dep.expr, want, s->name, depth + 1);
		break;
	}
	default:
		line(opt, "needs: %s", e, tail);
	}
}

/* The selects that hold a symbol on, as menuconfig lists them ("  - A [=y]"). */
static void selected_by(const char *opt, struct expr *rev)
{
	struct gstr g = str_new();
	expr_gstr_print_revdep(rev, &g, yes, "");
	expr_gstr_print_revdep(rev, &g, mod, "");
	for (char *l = strtok((char *)str_get(&g), "\n"); l; l = strtok(NULL, "\n"))
		if (!strncmp(l, "  - ", 4))
			printf("%s\tis on, selected by: %s\n", opt, l + 4);
	str_free(&g);
}

static int has_prompt(struct symbol *s)
{
	struct property *p;
	for_all_prompts(s, p)
		return 1;
	return 0;
}

static void why(const char *opt, const char *name, const char *value)
{
	struct symbol *s = sym_find(name);
	struct property *p;
	if (!s || s->type == S_UNKNOWN || !s->prop) {
		printf("%s\tno Kconfig file defines it\n", opt);
		return;
	}
	for_all_prompts(s, p) {
		struct gstr g = str_new();
		expr_gstr_print(p->menu->dep, &g);
		printf("%s\t%s:%d: %s%s\n", opt, p->menu->file->name, p->menu->lineno,
		       p->menu->dep ? "depends on " : "no dependencies", p->menu->dep ? str_get(&g) : "");
		str_free(&g);
	}
	const char *got = sym_get_string_value(s);
	int on = value && strcmp(value, "n") != 0;
	if (s->type == S_BOOLEAN || s->type == S_TRISTATE) {
		tristate want = value && !strcmp(value, "m") ? mod : yes;
		if (on && !has_prompt(s)) {
			line(opt, "has no prompt: only a select or default sets it; selected by: %s",
			     s->rev_dep.expr, NULL);
		} else if (on) {
			need(opt, s->dir_dep.expr, want, NULL, 0);
			for_all_prompts(s, p)
				need(opt, p->visible.expr, want, NULL, 0);
		} else if (s->rev_dep.expr && expr_calc_value(s->rev_dep.expr) != no) {
			selected_by(opt, s->rev_dep.expr);
		} else if (strcmp(got, "n")) {
			for_all_prompts(s, p)
				if (expr_calc_value(p->visible.expr) == no)
					line(opt, "cannot be turned off: its prompt shows only if %s", p->visible.expr, NULL);
		}
		if (sym_is_choice_value(s))
			printf("%s\tis a choice value: the choice holds %s\n", opt, got);
	} else if ((p = sym_get_range_prop(s))) {
		line(opt, "range %s", p->expr, NULL);
	}
}

static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	int ca = 0, same = fa && fb;
	while (same && ca != EOF) {
		ca = getc(fa);
		same = ca == getc(fb);
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

int main(int argc, char **argv)
{
	char back[4200];
	int why_ = argc > 1 && !strcmp(argv[1], "why"), settable = argc > 1 && !strcmp(argv[1], "settable");
	if (argc < 4 || (!why_ && !settable)) {
		fprintf(stderr, "usage: kconfig-query why CONFIG LINE... | settable CONFIG NAME...\n");
		return 1;
	}
	conf_set_message_callback(NULL);
	conf_parse("Kconfig");
	if (conf_read(argv[2])) {
		fprintf(stderr, "kconfig-query: cannot read %s\n", argv[2]);
		return 1;
	}
	snprintf(back, sizeof back, "%s.query", argv[2]);
	setenv("KCONFIG_OVERWRITECONFIG", "1", 1);
	int same = conf_write(back) == 0 && same_file(back, argv[2]);
	remove(back);
	if (!same) {
		fprintf(stderr, "kconfig-query: Kconfig read here gives another config than %s\n", argv[2]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		char name[256], opt[270], *eq;
		const char *l = argv[i], *value = NULL;
		if (settable) {
			struct symbol *s = sym_find(l);
			if (s && has_prompt(s))
				printf("%s\n", l);
			continue;
		}
		if (!strncmp(l, "# CONFIG_", 9) && strstr(l, " is not set")) {
			snprintf(name, sizeof name, "%.*s", (int)(strstr(l, " is not set") - l - 9), l + 9);
		} else if (!strncmp(l, "CONFIG_", 7) && (eq = strchr(l, '='))) {
			snprintf(name, sizeof name, "%.*s", (int)(eq - l - 7), l + 7);
			value = eq + 1;
		} else {
			fprintf(stderr, "kconfig-query: not a fragment line: %s\n", l);
			return 1;
		}
		snprintf(opt, sizeof opt, "CONFIG_%s", name);
		nsaid = 0;
		why(opt, name, value);
	}
	return 0;
}
