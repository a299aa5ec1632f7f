// SPDX-License-Identifier: MIT
/*
 * What the control protocol adds to jansson (see json.h): a nesting limit
 * checked before jansson reads the text, one-line error messages with a
 * byte offset, strings made valid UTF-8 whatever bytes they came from, and
 * compact output.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * The offset of the first '[' or '{' (outside strings) that opens a
 * JSON_MAX_DEPTH + 1st level, or len if none. Text that is not JSON may
 * be misread here; jansson then refuses it anyway.
 */
static size_t too_deep_at(const unsigned char *s, size_t len)
{
	bool in_string = false, escaped = false;
	unsigned int depth = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return i;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return len;
}

json_t *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	size_t at;
	json_t *v;

	if (err && errlen)
		err[0] = '\0';
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "no text at byte 0");
		return NULL;
	}
	at = too_deep_at((const unsigned char *)text, len);
	if (at < len) {
		if (err && errlen)
			snprintf(err, errlen,
				 "nesting deeper than %d levels at byte %zu",
				 JSON_MAX_DEPTH, at);
		return NULL;
	}
	v = json_loadb(text, len, JSON_DECODE_ANY, &e);
	if (v)
		return v;
	if (err && errlen) {
		snprintf(err, errlen, "%s at byte %d", e.text,
			 e.position < 0 ? 0 : e.position);
		/* jansson quotes the input near the error: one line, always. */
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return NULL;
}

/*
 * The length of the well-formed UTF-8 sequence at s (at most avail bytes),
 * or 0 if there is none: no overlong forms, no surrogates, nothing above
 * U+10FFFF. s[0] is at least 0x80.
 */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return n;
}

json_t *json_string_lossy_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = 0;
	char *buf;
	json_t *v;

	if (!s)
		return json_null();
	/* Most strings are fine as they are. */
	while (i < len) {
		size_t k = u[i] < 0x80 ? (u[i] != 0)
				       : utf8_seq_len(u + i, len - i);

		if (!k)
			break;
		i += k;
	}
	if (i == len)
		return json_stringn(s, len);
	/* Each bad byte takes 3 for U+FFFD. */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	buf = malloc(len * 3 + 1);
	if (!buf)
		return NULL;
	memcpy(buf, s, i);
	n = i;
	while (i < len) {
		size_t k = u[i] < 0x80 ? (u[i] != 0)
				       : utf8_seq_len(u + i, len - i);

		if (k) {
			memcpy(buf + n, s + i, k);
			n += k;
			i += k;
		} else {
			memcpy(buf + n, "\xef\xbf\xbd", 3);
			n += 3;
			i++;
		}
	}
	v = json_stringn(buf, n);
	free(buf);
	return v;
}

json_t *json_string_lossy(const char *s)
{
	return json_string_lossy_len(s, s ? strlen(s) : 0);
}

json_t *json_uint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

char *json_text(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}
