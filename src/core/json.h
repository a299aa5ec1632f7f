/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_JSON_H
#define SCORPI_JSON_H

/*
 * A small, strict JSON (RFC 8259) reader and writer, for the VM control
 * socket. No global state: a parsed tree and a writer belong to their
 * caller alone.
 *
 * The reader takes exactly one value, surrounded by optional whitespace,
 * in UTF-8 only; nesting is limited to JSON_MAX_DEPTH arrays and objects.
 * Strings are decoded (\u escapes and surrogate pairs to UTF-8) and keep
 * an explicit length, since they may hold \u0000; object keys may not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_member;

struct json_value {
	enum json_type type;
	bool b; /* JSON_BOOL */
	/*
	 * JSON_NUMBER: num always; is_int when it was written without a
	 * fraction or exponent and fits in int64_t, and then i is its value.
	 */
	double num;
	bool is_int;
	int64_t i;
	char *str; /* JSON_STRING: len bytes, NUL-terminated too */
	size_t len;
	struct json_value *items; /* JSON_ARRAY: n items */
	size_t n;
	struct json_member *members; /* JSON_OBJECT: n members, in order */
};

struct json_member {
	char *key; /* NUL-terminated, holds no NUL */
	struct json_value value;
};

/*
 * Parse text[0, len) (it need not be NUL-terminated). Returns the value,
 * to be freed with json_free(), or NULL with a one-line message in err
 * (errlen bytes, may be 0), e.g. "expected ':' after an object key at
 * byte 12". Byte offsets count from 0.
 */
struct json_value *json_parse(const char *text, size_t len, char *err,
			      size_t errlen);
/* Free a value returned by json_parse(); NULL is fine. */
void json_free(struct json_value *v);

/*
 * Member lookup in an object (the last one if repeated); NULL if v is not
 * an object or has no such key.
 */
const struct json_value *json_get(const struct json_value *obj,
				  const char *key);
/* The member's string, or NULL when missing or not a string. */
const char *json_get_string(const struct json_value *obj, const char *key);

/*
 * The writer: compact JSON into a growable heap buffer, commas and colons
 * put in by itself. Strings are escaped so that the output is always valid
 * JSON: bytes that are not valid UTF-8 become U+FFFD. An allocation
 * failure, or a misuse (an end without a begin, nesting deeper than
 * JSON_MAX_DEPTH), sets failed and makes every later call a no-op.
 */
struct json_writer {
	char *buf;
	size_t len, cap;
	bool failed;
	unsigned int depth;
	bool first[JSON_MAX_DEPTH + 1];
	bool after_key;
};

void jw_init(struct json_writer *w);
void jw_free(struct json_writer *w);
void jw_object_begin(struct json_writer *w);
void jw_object_end(struct json_writer *w);
void jw_array_begin(struct json_writer *w);
void jw_array_end(struct json_writer *w);
void jw_key(struct json_writer *w, const char *key);
void jw_string(struct json_writer *w, const char *s); /* NULL writes null */
void jw_string_len(struct json_writer *w, const char *s, size_t len);
void jw_int(struct json_writer *w, long long v);
void jw_uint(struct json_writer *w, unsigned long long v);
void jw_bool(struct json_writer *w, bool v);
void jw_null(struct json_writer *w);
/* Write a parsed value back (numbers that were integers stay integers). */
void jw_value(struct json_writer *w, const struct json_value *v);
/* The text so far, NUL-terminated ("" if nothing), or NULL if failed. */
const char *jw_text(const struct json_writer *w);

#endif
