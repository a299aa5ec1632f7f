/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_JSON_H
#define SCORPI_JSON_H

/*
 * JSON for the control socket and scorpictl: jansson (libjansson-dev),
 * plus the little that the control protocol adds to it.
 *
 * json_parse() reads exactly one value (any type), in UTF-8 only, with no
 * \u0000 in strings, integers that fit in 64 bits, nesting at most
 * JSON_MAX_DEPTH arrays and objects deep; a repeated key keeps its last
 * value. Errors are one line: jansson's message and a byte offset.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

/*
 * Parse text[0, len) (it need not be NUL-terminated). Returns a new
 * reference, or NULL with a one-line message in err (errlen bytes, may be
 * 0), e.g. "':' expected near '1' at byte 8".
 */
json_t *json_parse(const char *text, size_t len, char *err, size_t errlen);

/*
 * A JSON string of s[0, len) made valid: each byte that does not start a
 * well-formed UTF-8 sequence, and each NUL, becomes U+FFFD. NULL s: JSON
 * null. NULL only when out of memory.
 */
json_t *json_string_lossy_len(const char *s, size_t len);
json_t *json_string_lossy(const char *s);

/* An unsigned count; the few above INT64_MAX are written as INT64_MAX. */
json_t *json_uint(uint64_t v);

/*
 * Compact text of v (no newline, "," and ":" with no spaces, members in
 * their order), on the heap, to be freed with free(); NULL when out of
 * memory.
 */
char *json_text(const json_t *v);

#endif
