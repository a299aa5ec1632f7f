// SPDX-License-Identifier: MIT
/*
 * The control socket's JSON: jansson through base/json.h, with the
 * protocol's nesting limit, one-line errors, lossy strings and compact
 * output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

#include "check.h"

static json_t *parse(const char *s)
{
	char err[200];
	json_t *v = json_parse(s, strlen(s), err, sizeof(err));

	if (!v)
		fprintf(stderr, "parse of '%s' failed: %s\n", s, err);
	return v;
}

/* Parse s, which must fail with a one-line message naming a byte. */
static void check_bad(const char *s, size_t len, int line)
{
	char err[200];
	json_t *v;

	memset(err, 'x', sizeof(err));
	v = json_parse(s, len, err, sizeof(err));
	if (v || !memchr(err, '\0', sizeof(err)) || !strstr(err, " at byte ") ||
	    strchr(err, '\n')) {
		fprintf(stderr, "%s:%d: '%.*s' was taken, or no message (%s)\n",
			__FILE__, line, (int)len, s, v ? "taken" : err);
		check_failures++;
	}
	json_decref(v);
}

#define BAD(s) check_bad(s, strlen(s), __LINE__)
#define BAD_LEN(s, n) check_bad(s, n, __LINE__)

static void test_scalars(void)
{
	json_t *v;

	v = parse("null");
	CHECK(json_is_null(v));
	json_decref(v);
	v = parse(" true ");
	CHECK(json_is_true(v));
	json_decref(v);
	v = parse("\t\r\nfalse\n");
	CHECK(json_is_false(v));
	json_decref(v);
	v = parse("\"hi\"");
	CHECK(json_is_string(v) && json_string_length(v) == 2);
	CHECK_STR(json_string_value(v), "hi");
	json_decref(v);
	v = parse("\"\"");
	CHECK(json_is_string(v) && json_string_length(v) == 0);
	json_decref(v);
	v = parse("42");
	CHECK(json_is_integer(v) && json_integer_value(v) == 42);
	json_decref(v);
	v = parse("-1.5e2");
	CHECK(json_is_real(v) && json_real_value(v) == -150.0);
	json_decref(v);
	v = parse("0.25");
	CHECK(json_is_real(v) && json_real_value(v) == 0.25);
	json_decref(v);
	v = parse("1E+2");
	CHECK(json_is_real(v) && json_real_value(v) == 100.0);
	json_decref(v);
	v = parse("-0");
	CHECK(json_is_integer(v) && json_integer_value(v) == 0);
	json_decref(v);
	v = parse("1e-400"); /* underflows to 0: fine */
	CHECK(json_is_real(v) && json_real_value(v) == 0.0);
	json_decref(v);
}

static void test_int64_edges(void)
{
	json_t *v;

	v = parse("9223372036854775807");
	CHECK(json_is_integer(v) && json_integer_value(v) == INT64_MAX);
	json_decref(v);
	v = parse("-9223372036854775808");
	CHECK(json_is_integer(v) && json_integer_value(v) == INT64_MIN);
	json_decref(v);
	/* Integers past 64 bits are refused, not rounded. */
	BAD("9223372036854775808");
	BAD("-9223372036854775809");
	BAD("123456789012345678901234567890");
	v = parse("9223372036854775808.0");
	CHECK(json_is_real(v) && json_real_value(v) == 9223372036854775808.0);
	json_decref(v);
	v = parse("1.0");
	CHECK(json_is_real(v) && json_real_value(v) == 1.0);
	json_decref(v);
}

static void test_containers(void)
{
	json_t *v, *a, *o;

	v = parse("[]");
	CHECK(json_is_array(v) && json_array_size(v) == 0);
	json_decref(v);
	v = parse("{ }");
	CHECK(json_is_object(v) && json_object_size(v) == 0);
	json_decref(v);
	v = parse("[1, \"two\", [3], {\"four\": 4}, null, true]");
	CHECK(json_is_array(v) && json_array_size(v) == 6);
	CHECK(json_integer_value(json_array_get(v, 0)) == 1);
	CHECK_STR(json_string_value(json_array_get(v, 1)), "two");
	CHECK(json_integer_value(json_array_get(json_array_get(v, 2), 0)) == 3);
	CHECK(json_integer_value(
		      json_object_get(json_array_get(v, 3), "four")) == 4);
	CHECK(json_is_null(json_array_get(v, 4)));
	CHECK(json_is_true(json_array_get(v, 5)));
	json_decref(v);

	v = parse("{\"id\":1,\"command\":\"status\",\"arguments\":"
		  "{\"rule\":\"tcp::8080-:80\",\"nested\":{\"deep\":[1,2]}},"
		  "\"id\":2}");
	CHECK(json_is_object(v) && json_object_size(v) == 3);
	/* The last of a repeated key. */
	CHECK(json_integer_value(json_object_get(v, "id")) == 2);
	CHECK_STR(json_string_value(json_object_get(v, "command")), "status");
	CHECK(!json_string_value(json_object_get(v, "id")));
	CHECK(!json_object_get(v, "missing"));
	a = json_object_get(v, "arguments");
	CHECK(json_is_object(a));
	CHECK_STR(json_string_value(json_object_get(a, "rule")),
		  "tcp::8080-:80");
	o = json_object_get(json_object_get(a, "nested"), "deep");
	CHECK(json_is_array(o) && json_array_size(o) == 2);
	CHECK(!json_object_get(o, "deep")); /* not an object */
	CHECK(!json_object_get(NULL, "x"));
	json_decref(v);
}

static void test_strings(void)
{
	json_t *v;

	v = parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
	CHECK_STR(json_string_value(v), "a\"b\\c/d\b\f\n\r\t");
	json_decref(v);
	v = parse("\"\\u0041\\u00e9\\u20AC\"");
	CHECK(json_string_length(v) == 6);
	CHECK_STR(json_string_value(v), "A\xc3\xa9\xe2\x82\xac");
	json_decref(v);
	/* U+1F600 as a surrogate pair, and raw. */
	v = parse("\"\\ud83d\\ude00|\xf0\x9f\x98\x80\"");
	CHECK(json_string_length(v) == 9);
	CHECK_STR(json_string_value(v), "\xf0\x9f\x98\x80|\xf0\x9f\x98\x80");
	json_decref(v);
	v = parse("\"\\uDBFF\\uDFFF\""); /* U+10FFFF */
	CHECK_STR(json_string_value(v), "\xf4\x8f\xbf\xbf");
	json_decref(v);
	/* No NUL in a string: C code would cut it there. */
	BAD("\"a\\u0000b\"");
	BAD("{\"a\\u0000\":1}");
}

static void test_invalid(void)
{
	char err[200];
	json_t *v;

	BAD("");
	BAD("   ");
	BAD("nul");
	BAD("nulll");
	BAD("True");
	BAD("[1,]");
	BAD("[1 2]");
	BAD("{\"a\":1,}");
	BAD("{\"a\" 1}");
	BAD("{a:1}");
	BAD("{\"a\":}");
	BAD("{1:2}");
	BAD("[");
	BAD("{");
	BAD("{\"a\":1");
	BAD("\"unterminated");
	BAD("\"tab\there\"");
	BAD("\"nl\nhere\"");
	BAD("\"bad \\x escape\"");
	BAD("\"\\u12\"");
	BAD("\"\\u12g4\"");
	BAD("\"\\ud800\"");
	BAD("\"\\ud800\\u0041\"");
	BAD("\"\\udc00\"");
	BAD("\"\\ud800x\"");
	BAD("\"\xff\"");
	BAD("\"\xc0\xaf\""); /* overlong '/' */
	BAD("\"\xed\xa0\x80\""); /* an encoded surrogate */
	BAD("\"\xf4\x90\x80\x80\""); /* above U+10FFFF */
	BAD("\"\xe2\x82\""); /* cut short */
	BAD("01");
	BAD("-");
	BAD("+1");
	BAD("1.");
	BAD(".5");
	BAD("1e");
	BAD("1e+");
	BAD("0x10");
	BAD("1e400");
	BAD("-1e400");
	BAD("NaN");
	BAD("Infinity");
	BAD("1 2");
	BAD("{} x");
	BAD("[]]");
	BAD("'single'");
	BAD("\xef\xbb\xbf{}"); /* a BOM */
	BAD("[1,\v2]");
	BAD_LEN("[1]\0", 4);
	BAD_LEN("\"a\0b\"", 5);
	/* The length is obeyed: "true" cut to "tr". */
	BAD_LEN("true", 2);
	BAD_LEN("\"abc\"", 4);
	BAD_LEN("12345", 0);

	v = json_parse("{\"key\" 1}", 9, err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err, "':' expected near '1' at byte 8");
	v = json_parse("[1,2,]", 6, err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err, "unexpected token near ']' at byte 6");
	/* What jansson quotes of the input stays on one line. */
	v = json_parse("\"ab\x01", 4, err, sizeof(err));
	CHECK(!v && !strpbrk(err, "\x01\n"));
	v = json_parse("\"\\q\x1f\"", 5, err, sizeof(err));
	CHECK(!v && !strpbrk(err, "\x1f\n"));
	/* A small or absent error buffer is fine. */
	v = json_parse("[", 1, err, 8);
	CHECK(!v && strlen(err) == 7);
	CHECK(!json_parse("[", 1, NULL, 0));
	CHECK(!json_parse(NULL, 5, NULL, 0));
	CHECK(!json_parse(NULL, 5, err, sizeof(err)) &&
	      strstr(err, " at byte "));
}

static char *nest(unsigned int levels, const char *open, const char *close)
{
	size_t n = strlen(open), m = strlen(close);
	char *s = malloc(levels * (n + m) + 2);
	size_t k = 0;

	for (unsigned int i = 0; i < levels; i++, k += n)
		memcpy(s + k, open, n);
	s[k++] = '1';
	for (unsigned int i = 0; i < levels; i++, k += m)
		memcpy(s + k, close, m);
	s[k] = '\0';
	return s;
}

static void test_depth(void)
{
	char err[200];
	json_t *v;
	char *s;

	s = nest(JSON_MAX_DEPTH, "[", "]");
	v = parse(s);
	CHECK(v != NULL);
	json_decref(v);
	free(s);

	s = nest(JSON_MAX_DEPTH, "{\"k\":", "}");
	v = parse(s);
	CHECK(v != NULL);
	json_decref(v);
	free(s);

	s = nest(JSON_MAX_DEPTH + 1, "[", "]");
	v = json_parse(s, strlen(s), err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err, "nesting deeper than 16 levels at byte 16");
	free(s);

	s = nest(JSON_MAX_DEPTH + 1, "{\"k\":", "}");
	BAD(s);
	free(s);

	s = nest(100000, "[", "]");
	BAD(s);
	free(s);

	/* Brackets in strings do not count, escaped quotes included. */
	s = nest(JSON_MAX_DEPTH, "[\"[[[{{{\\\"[[[\",", "]");
	v = parse(s);
	CHECK(v != NULL);
	json_decref(v);
	free(s);
	/* Siblings do not add up. */
	v = parse(
		"[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]],[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]");
	CHECK(v != NULL);
	json_decref(v);
}

static void check_lossy(const char *in, size_t len, const char *want, int line)
{
	json_t *v = json_string_lossy_len(in, len);

	if (!json_is_string(v) || strcmp(json_string_value(v), want) ||
	    json_string_length(v) != strlen(want)) {
		fprintf(stderr, "%s:%d: lossy '%.*s' gave '%s'\n", __FILE__,
			line, (int)len, in,
			v ? json_string_value(v) : "(null)");
		check_failures++;
	}
	json_decref(v);
}

#define LOSSY(in, want) check_lossy(in, sizeof(in) - 1, want, __LINE__)

static void test_lossy(void)
{
	json_t *v;

	LOSSY("plain", "plain");
	LOSSY("", "");
	LOSSY("caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80");
	LOSSY("bad\xff|\xc3|\xed\xa0\x80|\xe2\x82",
	      "bad\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd"
	      "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd");
	LOSSY("a\0b", "a\xef\xbf\xbd"
		      "b");
	LOSSY("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");
	LOSSY("\xf4\x90\x80\x80",
	      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	v = json_string_lossy(NULL);
	CHECK(json_is_null(v));
	v = json_string_lossy("x\x80");
	CHECK_STR(json_string_value(v), "x\xef\xbf\xbd");
	json_decref(v);
}

static void check_text(json_t *v, const char *want, int line)
{
	char *out = v ? json_text(v) : NULL;

	if (!out || strcmp(out, want)) {
		fprintf(stderr, "%s:%d: text '%s', expected '%s'\n", __FILE__,
			line, out ? out : "(null)", want);
		check_failures++;
	}
	free(out);
	json_decref(v);
}

#define TEXT(v, want) check_text(v, want, __LINE__)

static void test_text(void)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "id", json_integer(1));
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "result", a);
	json_array_append_new(a, json_string("net0"));
	json_array_append_new(a, json_uint(4));
	json_array_append_new(a, json_object());
	json_array_append_new(a, json_array());
	json_array_append_new(a, json_null());
	json_array_append_new(a, json_false());
	json_array_append_new(a, json_integer(INT64_MIN));
	json_array_append_new(a, json_uint(UINT64_MAX)); /* clamped */
	json_array_append_new(a, json_uint((uint64_t)INT64_MAX + 1));
	json_array_append_new(a, json_uint(INT64_MAX));
	/* Members in the order they were set. */
	TEXT(o, "{\"id\":1,\"ok\":true,\"result\":[\"net0\",4,{},[],null,"
		"false,-9223372036854775808,9223372036854775807,"
		"9223372036854775807,9223372036854775807]}");
	/* Escaping: control characters, quotes and backslashes only. */
	TEXT(json_string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f"),
	     "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001F\x7f\"");
	TEXT(json_string_lossy("bad\xff"), "\"bad\xef\xbf\xbd\"");
	TEXT(json_integer(-3), "-3");
}

/* Parse, write, parse again: the same tree and the expected text. */
static void check_round_trip(const char *in, const char *want, int line)
{
	json_t *a = parse(in), *b = NULL;
	char *out = a ? json_text(a) : NULL;

	if (out)
		b = parse(out);
	if (!a || !out || !b || !json_equal(a, b) || strchr(out, '\n') ||
	    (want && strcmp(out, want))) {
		fprintf(stderr, "%s:%d: round trip of '%s' gave '%s'\n",
			__FILE__, line, in, out ? out : "(null)");
		check_failures++;
	}
	free(out);
	json_decref(a);
	json_decref(b);
}

#define ROUND_TRIP(in, want) check_round_trip(in, want, __LINE__)

static void test_round_trip(void)
{
	ROUND_TRIP(
		"{ \"id\" : 1 , \"ok\" : false , \"error\" : "
		"{ \"code\" : \"unknown-command\" , \"message\" : \"no\" } }",
		"{\"id\":1,\"ok\":false,\"error\":{\"code\":"
		"\"unknown-command\",\"message\":\"no\"}}");
	ROUND_TRIP("[0.5, 1.0, -2.5e-3, 1e300, -0, 3]",
		   "[0.5,1.0,-0.0025000000000000001,1.0000000000000001e300,0,"
		   "3]");
	ROUND_TRIP("[\"\\u001f\\ud83d\\ude00\\\"\\\\\\/\", {}, [], "
		   "null, true]",
		   NULL);
	ROUND_TRIP("{\"a\":{\"b\":{\"c\":[[[[[[[[[[[[[1]]]]]]]]]]]]]}}}", NULL);
	ROUND_TRIP("{\"k\":1,\"k\":2}", "{\"k\":2}");
	ROUND_TRIP("{\"z\":1,\"a\":2,\"m\":3}", "{\"z\":1,\"a\":2,\"m\":3}");
	ROUND_TRIP("0.30000000000000004", "0.30000000000000004");
	ROUND_TRIP("5e-324", NULL);
	ROUND_TRIP("\"\"", "\"\"");
}

TEST_MAIN(TEST(test_scalars), TEST(test_int64_edges), TEST(test_containers),
	  TEST(test_strings), TEST(test_invalid), TEST(test_depth),
	  TEST(test_lossy), TEST(test_text), TEST(test_round_trip))
