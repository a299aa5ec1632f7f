// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the JSON reader and writer: the input is parsed
 * as a control-socket client would send it (not NUL-terminated, any
 * bytes). Whatever parses is written back with jw_value(), and that text
 * must be valid JSON that parses again to the same tree: same types,
 * numbers, string bytes, keys and order. Errors must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define require(cond)            \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static int same(const struct json_value *a, const struct json_value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSON_NULL:
		return 1;
	case JSON_BOOL:
		return a->b == b->b;
	case JSON_NUMBER:
		return a->num == b->num && a->is_int == b->is_int &&
		       (!a->is_int || a->i == b->i);
	case JSON_STRING:
		return a->len == b->len && !memcmp(a->str, b->str, a->len) &&
		       !a->str[a->len] && !b->str[b->len];
	case JSON_ARRAY:
		if (a->n != b->n)
			return 0;
		for (size_t k = 0; k < a->n; k++)
			if (!same(&a->items[k], &b->items[k]))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (a->n != b->n)
			return 0;
		for (size_t k = 0; k < a->n; k++) {
			if (strcmp(a->members[k].key, b->members[k].key))
				return 0;
			if (!same(&a->members[k].value, &b->members[k].value))
				return 0;
		}
		/* Lookup finds the last of a repeated key, in both. */
		for (size_t k = 0; k < a->n; k++)
			require(json_get(a, a->members[k].key) != NULL);
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *a, *b;
	struct json_writer w;
	const char *text;
	char err[128];

	/* A heap copy of exactly size bytes, so ASan sees any overread. */
	char *copy = malloc(size ? size : 1);

	require(copy);
	if (size)
		memcpy(copy, data, size);
	err[0] = 'x';
	a = json_parse(copy, size, err, sizeof(err));
	free(copy);
	if (!a) {
		require(err[0] && memchr(err, '\0', sizeof(err)));
		return 0;
	}

	jw_init(&w);
	jw_value(&w, a);
	text = jw_text(&w);
	require(text);
	require(strlen(text) == w.len);
	require(!strchr(text, '\n'));

	b = json_parse(text, w.len, err, sizeof(err));
	require(b);
	require(same(a, b));

	json_free(b);
	json_free(a);
	jw_free(&w);
	return 0;
}
