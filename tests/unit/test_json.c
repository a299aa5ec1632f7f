// SPDX-License-Identifier: MIT
/* The JSON reader and writer of the control socket. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#include "check.h"

static struct json_value *parse(const char *s)
{
	char err[128];
	struct json_value *v = json_parse(s, strlen(s), err, sizeof(err));

	if (!v)
		fprintf(stderr, "parse of '%s' failed: %s\n", s, err);
	return v;
}

/* Parse s, which must fail with a message naming a byte. */
static void check_bad(const char *s, size_t len, int line)
{
	char err[128];
	struct json_value *v;

	memset(err, 'x', sizeof(err));
	v = json_parse(s, len, err, sizeof(err));
	if (v || !memchr(err, '\0', sizeof(err)) || !strstr(err, " at byte ") ||
	    strchr(err, '\n')) {
		fprintf(stderr, "%s:%d: '%.*s' was taken, or no message (%s)\n",
			__FILE__, line, (int)len, s, v ? "taken" : err);
		check_failures++;
	}
	json_free(v);
}

#define BAD(s) check_bad(s, strlen(s), __LINE__)
#define BAD_LEN(s, n) check_bad(s, n, __LINE__)

static void test_scalars(void)
{
	struct json_value *v;

	v = parse("null");
	CHECK(v && v->type == JSON_NULL);
	json_free(v);
	v = parse(" true ");
	CHECK(v && v->type == JSON_BOOL && v->b);
	json_free(v);
	v = parse("\t\r\nfalse\n");
	CHECK(v && v->type == JSON_BOOL && !v->b);
	json_free(v);
	v = parse("\"hi\"");
	CHECK(v && v->type == JSON_STRING && v->len == 2);
	if (v)
		CHECK_STR(v->str, "hi");
	json_free(v);
	v = parse("\"\"");
	CHECK(v && v->type == JSON_STRING && v->len == 0 && v->str &&
	      !v->str[0]);
	json_free(v);
	v = parse("42");
	CHECK(v && v->type == JSON_NUMBER && v->is_int && v->i == 42 &&
	      v->num == 42.0);
	json_free(v);
	v = parse("-1.5e2");
	CHECK(v && v->type == JSON_NUMBER && !v->is_int && v->num == -150.0);
	json_free(v);
	v = parse("0.25");
	CHECK(v && v->type == JSON_NUMBER && !v->is_int && v->num == 0.25);
	json_free(v);
	v = parse("1E+2");
	CHECK(v && v->type == JSON_NUMBER && !v->is_int && v->num == 100.0);
	json_free(v);
	v = parse("-0");
	CHECK(v && v->type == JSON_NUMBER && v->is_int && v->i == 0);
	json_free(v);
	v = parse("1e-400"); /* underflows to 0: fine */
	CHECK(v && v->type == JSON_NUMBER && !v->is_int && v->num == 0.0);
	json_free(v);
}

static void test_int64_edges(void)
{
	struct json_value *v;

	v = parse("9223372036854775807");
	CHECK(v && v->is_int && v->i == INT64_MAX);
	json_free(v);
	v = parse("-9223372036854775808");
	CHECK(v && v->is_int && v->i == INT64_MIN);
	json_free(v);
	v = parse("9223372036854775808");
	CHECK(v && v->type == JSON_NUMBER && !v->is_int &&
	      v->num == 9223372036854775808.0);
	json_free(v);
	v = parse("-9223372036854775809");
	CHECK(v && v->type == JSON_NUMBER && !v->is_int);
	json_free(v);
	v = parse("18446744073709551616"); /* 2^64 */
	CHECK(v && v->type == JSON_NUMBER && !v->is_int &&
	      v->num == 18446744073709551616.0);
	json_free(v);
	v = parse("123456789012345678901234567890");
	CHECK(v && v->type == JSON_NUMBER && !v->is_int && v->num > 1e29);
	json_free(v);
	v = parse("1.0");
	CHECK(v && !v->is_int && v->num == 1.0);
	json_free(v);
}

static void test_containers(void)
{
	struct json_value *v;
	const struct json_value *a, *o;

	v = parse("[]");
	CHECK(v && v->type == JSON_ARRAY && v->n == 0);
	json_free(v);
	v = parse("{ }");
	CHECK(v && v->type == JSON_OBJECT && v->n == 0);
	json_free(v);
	v = parse("[1, \"two\", [3], {\"four\": 4}, null, true]");
	CHECK(v && v->type == JSON_ARRAY && v->n == 6);
	if (v && v->n == 6) {
		CHECK(v->items[0].type == JSON_NUMBER && v->items[0].i == 1);
		CHECK_STR(v->items[1].str, "two");
		CHECK(v->items[2].type == JSON_ARRAY && v->items[2].n == 1 &&
		      v->items[2].items[0].i == 3);
		CHECK(v->items[3].type == JSON_OBJECT &&
		      json_get(&v->items[3], "four")->i == 4);
		CHECK(v->items[4].type == JSON_NULL);
		CHECK(v->items[5].type == JSON_BOOL && v->items[5].b);
	}
	json_free(v);

	v = parse("{\"id\":1,\"command\":\"status\",\"arguments\":"
		  "{\"rule\":\"tcp::8080-:80\",\"nested\":{\"deep\":[1,2]}},"
		  "\"id\":2}");
	CHECK(v && v->type == JSON_OBJECT && v->n == 4);
	/* The last of a repeated key. */
	CHECK(json_get(v, "id") && json_get(v, "id")->i == 2);
	CHECK_STR(json_get_string(v, "command"), "status");
	CHECK(!json_get_string(v, "id"));
	CHECK(!json_get_string(v, "missing"));
	CHECK(!json_get(v, "missing"));
	a = json_get(v, "arguments");
	CHECK(a && a->type == JSON_OBJECT);
	CHECK_STR(json_get_string(a, "rule"), "tcp::8080-:80");
	o = json_get(json_get(a, "nested"), "deep");
	CHECK(o && o->type == JSON_ARRAY && o->n == 2 && o->items[1].i == 2);
	CHECK(!json_get(o, "deep")); /* not an object */
	CHECK(!json_get(NULL, "x"));
	CHECK(!json_get_string(NULL, "x"));
	if (v && v->n == 4)
		CHECK_STR(v->members[1].key, "command");
	json_free(v);
	json_free(NULL);
}

static void test_strings(void)
{
	struct json_value *v;

	v = parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
	CHECK(v && v->type == JSON_STRING);
	if (v)
		CHECK_STR(v->str, "a\"b\\c/d\b\f\n\r\t");
	json_free(v);
	v = parse("\"\\u0041\\u00e9\\u20AC\"");
	CHECK(v && v->len == 6);
	if (v)
		CHECK_STR(v->str, "A\xc3\xa9\xe2\x82\xac");
	json_free(v);
	/* U+1F600 as a surrogate pair, and raw. */
	v = parse("\"\\ud83d\\ude00|\xf0\x9f\x98\x80\"");
	CHECK(v && v->len == 9);
	if (v)
		CHECK_STR(v->str, "\xf0\x9f\x98\x80|\xf0\x9f\x98\x80");
	json_free(v);
	v = parse("\"\\uDBFF\\uDFFF\""); /* U+10FFFF */
	CHECK(v && v->len == 4);
	if (v)
		CHECK_STR(v->str, "\xf4\x8f\xbf\xbf");
	json_free(v);
	/* \u0000 is kept, with the length. */
	v = parse("\"a\\u0000b\"");
	CHECK(v && v->type == JSON_STRING && v->len == 3);
	if (v)
		CHECK(memcmp(v->str, "a\0b", 4) == 0);
	json_free(v);
	/* Not a key, though. */
	BAD("{\"a\\u0000\":1}");
}

static void test_invalid(void)
{
	char err[128];
	struct json_value *v;

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
	CHECK_STR(err, "expected ':' after an object key at byte 7");
	v = json_parse("[1,2,]", 6, err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err, "unexpected ']', expected a value at byte 5");
	v = json_parse("[1 x", 4, err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err,
		  "unexpected 'x', expected ',' or ']' in an array at byte 3");
	v = json_parse("[1", 2, err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err, "unexpected end of input, expected ',' or ']' in an "
		       "array at byte 2");
	v = json_parse("\"\\q\"", 4, err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err, "invalid escape '\\q' at byte 1");
	v = json_parse("\"\\ud800\"", 8, err, sizeof(err));
	CHECK(!v);
	CHECK_STR(err, "lone high surrogate \\uD800 at byte 1");
	/* A small or absent error buffer is fine. */
	v = json_parse("[", 1, err, 8);
	CHECK(!v && strlen(err) == 7);
	CHECK(!json_parse("[", 1, NULL, 0));
	CHECK(!json_parse(NULL, 5, NULL, 0));
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
	char err[128];
	struct json_value *v;
	char *s;

	s = nest(JSON_MAX_DEPTH, "[", "]");
	v = parse(s);
	CHECK(v != NULL);
	json_free(v);
	free(s);

	s = nest(JSON_MAX_DEPTH, "{\"k\":", "}");
	v = parse(s);
	CHECK(v != NULL);
	json_free(v);
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
}

static void test_writer(void)
{
	struct json_writer w;

	jw_init(&w);
	CHECK_STR(jw_text(&w), "");
	jw_object_begin(&w);
	jw_key(&w, "id");
	jw_int(&w, 1);
	jw_key(&w, "ok");
	jw_bool(&w, true);
	jw_key(&w, "result");
	jw_object_begin(&w);
	jw_key(&w, "devices");
	jw_array_begin(&w);
	jw_object_begin(&w);
	jw_key(&w, "id");
	jw_string(&w, "net0");
	jw_key(&w, "slot");
	jw_uint(&w, 4);
	jw_object_end(&w);
	jw_object_begin(&w);
	jw_object_end(&w);
	jw_array_begin(&w);
	jw_array_end(&w);
	jw_null(&w);
	jw_string(&w, NULL);
	jw_bool(&w, false);
	jw_int(&w, INT64_MIN);
	jw_uint(&w, UINT64_MAX);
	jw_array_end(&w);
	jw_object_end(&w);
	jw_object_end(&w);
	CHECK_STR(jw_text(&w),
		  "{\"id\":1,\"ok\":true,\"result\":{\"devices\":[{\"id\":"
		  "\"net0\",\"slot\":4},{},[],null,null,false,"
		  "-9223372036854775808,18446744073709551615]}}");
	CHECK_EQ(w.len, strlen(jw_text(&w)));
	jw_free(&w);

	/* Escaping, and bytes that are not UTF-8. */
	jw_init(&w);
	jw_array_begin(&w);
	jw_string(&w, "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f");
	jw_string(&w, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	jw_string(&w, "bad\xff|\xc3|\xed\xa0\x80|\xe2\x82");
	jw_string_len(&w, "a\0b", 3);
	jw_string_len(&w, NULL, 3);
	jw_array_end(&w);
	CHECK_STR(jw_text(&w),
		  "[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\","
		  "\"caf\xc3\xa9 \xf0\x9f\x98\x80\","
		  "\"bad\\ufffd|\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\","
		  "\"a\\u0000b\",null]");
	jw_free(&w);

	/* Keys are escaped too. */
	jw_init(&w);
	jw_object_begin(&w);
	jw_key(&w, "a\"b");
	jw_string(&w, "");
	jw_object_end(&w);
	CHECK_STR(jw_text(&w), "{\"a\\\"b\":\"\"}");
	jw_free(&w);

	/* Misuse fails the writer, and later calls do nothing. */
	jw_init(&w);
	jw_array_end(&w);
	CHECK(w.failed && !jw_text(&w));
	jw_int(&w, 1);
	CHECK(!jw_text(&w));
	jw_free(&w);
	CHECK(!w.failed && w.buf == NULL);

	jw_init(&w);
	jw_int(&w, 1);
	jw_int(&w, 2); /* two top-level values */
	CHECK(!jw_text(&w));
	jw_free(&w);

	jw_init(&w);
	for (int k = 0; k < JSON_MAX_DEPTH; k++)
		jw_array_begin(&w);
	CHECK(jw_text(&w) != NULL);
	jw_array_begin(&w);
	CHECK(!jw_text(&w));
	jw_free(&w);
}

static bool same(const struct json_value *a, const struct json_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return a->b == b->b;
	case JSON_NUMBER:
		return a->num == b->num && a->is_int == b->is_int &&
		       (!a->is_int || a->i == b->i);
	case JSON_STRING:
		return a->len == b->len && !memcmp(a->str, b->str, a->len);
	case JSON_ARRAY:
		if (a->n != b->n)
			return false;
		for (size_t k = 0; k < a->n; k++)
			if (!same(&a->items[k], &b->items[k]))
				return false;
		return true;
	case JSON_OBJECT:
		if (a->n != b->n)
			return false;
		for (size_t k = 0; k < a->n; k++)
			if (strcmp(a->members[k].key, b->members[k].key) ||
			    !same(&a->members[k].value, &b->members[k].value))
				return false;
		return true;
	}
	return false;
}

static void check_round_trip(const char *in, const char *want, int line)
{
	struct json_value *a = parse(in), *b = NULL;
	struct json_writer w;
	const char *out;

	jw_init(&w);
	if (a)
		jw_value(&w, a);
	out = jw_text(&w);
	if (out)
		b = parse(out);
	if (!a || !out || !b || !same(a, b) || (want && strcmp(out, want))) {
		fprintf(stderr, "%s:%d: round trip of '%s' gave '%s'\n",
			__FILE__, line, in, out ? out : "(null)");
		check_failures++;
	}
	jw_free(&w);
	json_free(a);
	json_free(b);
}

#define ROUND_TRIP(in, want) check_round_trip(in, want, __LINE__)

static void test_round_trip(void)
{
	ROUND_TRIP(
		"{ \"id\" : 1 , \"ok\" : false , \"error\" : "
		"{ \"code\" : \"unknown-command\" , \"message\" : \"no\" } }",
		"{\"id\":1,\"ok\":false,\"error\":{\"code\":"
		"\"unknown-command\",\"message\":\"no\"}}");
	ROUND_TRIP("[0.1, 1.0, -2.5e-3, 1e300, 9223372036854775808, -0, 3]",
		   "[0.1,1.0,-0.0025,1e+300,9.223372036854776e+18,0,3]");
	ROUND_TRIP("[\"\\u0000\\u001f\\ud83d\\ude00\\\"\\\\\\/\", {}, [], "
		   "null, true]",
		   NULL);
	ROUND_TRIP("{\"a\":{\"b\":{\"c\":[[[[[[[[[[[[[1]]]]]]]]]]]]]}}}", NULL);
	ROUND_TRIP("{\"k\":1,\"k\":2}", "{\"k\":1,\"k\":2}");
	ROUND_TRIP("0.30000000000000004", "0.30000000000000004");
	ROUND_TRIP("5e-324", NULL);
	ROUND_TRIP("\"\"", "\"\"");
}

TEST_MAIN(TEST(test_scalars), TEST(test_int64_edges), TEST(test_containers),
	  TEST(test_strings), TEST(test_invalid), TEST(test_depth),
	  TEST(test_writer), TEST(test_round_trip))
