// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for base/json.c, the control socket's JSON on top of
 * jansson: the input is parsed as a control-socket client would send it
 * (not NUL-terminated, any bytes). An error must come with a one-line
 * message; whatever parses must nest at most JSON_MAX_DEPTH deep, be
 * written as one line that parses again to an equal tree. The input made
 * into a lossy string must always work and keep valid text as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

#define require(cond)            \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static unsigned int depth(json_t *v)
{
	unsigned int d = 0, k;
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			k = depth(item);
			d = k > d ? k : d;
		}
		return d + 1;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, key, item)
		{
			k = depth(item);
			d = k > d ? k : d;
		}
		return d + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly size bytes, so ASan sees any overread. */
	char *copy = malloc(size ? size : 1);
	json_t *a, *b, *s;
	char err[200];
	char *text;

	require(copy);
	if (size)
		memcpy(copy, data, size);

	s = json_string_lossy_len(copy, size);
	require(json_is_string(s));
	if (json_string_length(s) == size)
		require(!memcmp(json_string_value(s), copy, size));
	json_decref(s);

	err[0] = 'x';
	a = json_parse(copy, size, err, sizeof(err));
	free(copy);
	if (!a) {
		require(err[0] && memchr(err, '\0', sizeof(err)));
		require(!strchr(err, '\n'));
		return 0;
	}
	require(depth(a) <= JSON_MAX_DEPTH);

	text = json_text(a);
	require(text);
	require(!strchr(text, '\n'));
	b = json_parse(text, strlen(text), err, sizeof(err));
	require(b);
	require(json_equal(a, b));

	free(text);
	json_decref(b);
	json_decref(a);
	return 0;
}
