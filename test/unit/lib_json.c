/* SPDX-License-Identifier: Apache-2.0 */
/* proto_json.c: the JSON reader and writer against valid, invalid and edge inputs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static int parses(const char *s)
{
	struct json j;
	int r = json_parse_alloc(&j, s, strlen(s));
	json_free(&j);
	return r;
}

static void valid_and_invalid(void)
{
	static const char *good[] = { "{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\ud83d\\ude00\"",
		" {\"a\":[1,2,{\"b\":null}],\"c\":true} ", "[[[]]]", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"" };
	static const char *bad[] = { "", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "1.", "-",
		"\"\\x\"", "\"\\u12\"", "\"a", "tru", "[1] 2", "{a:1}", "\"\x01\"", "1e", "[\"a\" \"b\"]" };
	int good_ok = 1, bad_ok = 1;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		if (parses(good[i]) < 0) {
			good_ok = 0;
			printf("# rejected %s\n", good[i]);
		}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (parses(bad[i]) >= 0) {
			bad_ok = 0;
			printf("# accepted %s\n", bad[i]);
		}
	ok(good_ok, "valid documents parse");
	ok(bad_ok, "invalid documents are refused");
}

static void limits(void)
{
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	struct json j;
	is_int(json_parse_alloc(&j, deep, sizeof deep), -E2BIG, "nesting deeper than the limit is refused");
	struct json_tok t[3];
	is_int(json_parse(&j, "[1,2,3]", 7, t, 3), -ENOMEM, "more tokens than room is refused");
}

static void access(void)
{
	const char *s = "{\"args\":[\"sh\",\"-c\",\"a\\tb\"],\"n\":-42,\"big\":1e3,\"t\":true,"
			"\"nul\":\"x\\u0000y\",\"k\\u0065y\":\"v\"}";
	struct json j;
	ok(json_parse_alloc(&j, s, strlen(s)) > 0, "document parses");
	int args = json_get(&j, 0, "args");
	is_int(json_type(&j, args), JSON_ARRAY, "args is an array");
	is_int(j.t[args].size, 3, "args has three elements");
	char buf[16];
	is_int(json_str(&j, json_at(&j, args, 2), buf, sizeof buf), 3, "escaped string decodes");
	is_str(buf, "a\tb", "tab escape");
	is_int(json_str(&j, json_at(&j, args, 2), buf, 3), -ERANGE, "a string longer than the buffer is refused");
	int64_t v = 0;
	ok(json_int(&j, json_get(&j, 0, "n"), &v) == 0 && v == -42, "integer reads");
	is_int(json_int(&j, json_get(&j, 0, "big"), &v), -EINVAL, "exponent is not an integer");
	bool b = false;
	ok(json_bool(&j, json_get(&j, 0, "t"), &b) == 0 && b, "bool reads");
	ok(json_strdup(&j, json_get(&j, 0, "nul")) == NULL, "embedded NUL is refused");
	ok(json_get(&j, 0, "key") >= 0, "escaped key matches");
	is_int(json_get(&j, 0, "missing"), -1, "missing key");
	is_int(json_get(&j, args, "x"), -1, "get on a non-object");
	uint32_t k;
	int it, n = 0;
	JSON_EACH(&j, 0, it, k)
		n++;
	is_int(n, 6, "JSON_EACH walks every key");
	json_free(&j);
}

static void writer(void)
{
	struct jw w;
	jw_init(&w);
	jw_obj(&w);
	jw_key(&w, "a\"b");
	jw_arr(&w);
	jw_int(&w, -1);
	jw_str(&w, "x\n\x01");
	jw_obj(&w);
	jw_end(&w);
	jw_end(&w);
	jw_key(&w, "t");
	jw_bool(&w, true);
	jw_end(&w);
	const char *out;
	size_t len;
	ok(jw_done(&w, &out, &len) == 0, "writer finishes");
	is_str(out, "{\"a\\\"b\":[-1,\"x\\n\\u0001\",{}],\"t\":true}", "writer output");
	ok(parses(out) > 0, "writer output parses");
	jw_free(&w);
	jw_init(&w);
	jw_obj(&w);
	ok(jw_done(&w, &out, &len) < 0, "unclosed object is an error");
	jw_free(&w);
}

int main(void)
{
	plan(22);
	valid_and_invalid();
	limits();
	access();
	writer();
	return done();
}
