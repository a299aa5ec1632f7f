// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the control socket's requests
 * (core/control_request.c): the input is a client's byte stream, cut
 * into lines as the socket does (in pieces whose size the first byte
 * picks), and each line answered through a table of commands shaped like
 * the VM's. Every response must be one line of JSON: an object with id,
 * ok and either an object result or an error with a known code and a
 * message. Commands run only with the arguments they take.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/control_request.h"

#define require(cond)            \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static const struct control_arg rule_args[] = {
	{ "rule", true, "tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT" },
	{ "device", false, NULL },
	{ 0 },
};

static void cmd_plain(void *ctx, json_t *args, struct control_reply *r)
{
	(void)ctx;
	require(json_is_object(args) && json_object_size(args) == 0);
	json_object_set_new(r->result, "state", json_string("running"));
}

static void cmd_rule(void *ctx, json_t *args, struct control_reply *r)
{
	const char *rule = json_string_value(json_object_get(args, "rule"));
	json_t *dev = json_object_get(args, "device");

	(void)ctx;
	require(rule);
	require(!dev || json_is_string(dev));
	require(json_object_size(args) == 1u + (dev != NULL));
	/* Echo it, as slirp's messages do, cut anywhere. */
	if (strlen(rule) % 3 == 0)
		control_reply_error(r, "failed", "cannot forward %.17s", rule);
	else
		json_object_set_new(r->result, "rule", json_string(rule));
}

static const struct control_command cmds[] = {
	{ "status", NULL, cmd_plain },
	{ "pause", NULL, cmd_plain },
	{ "hostfwd-add", rule_args, cmd_rule },
	{ "hostfwd-remove", rule_args, cmd_rule },
};

static const char *const codes[] = {
	"bad-request",	 "too-long",	"unknown-command",
	"bad-arguments", "wrong-state", "failed",
};

static void check_response(const char *text)
{
	json_t *v, *id, *ok, *e;
	const char *code;
	size_t k;

	require(text);
	require(!strchr(text, '\n'));
	v = json_loads(text, 0, NULL);
	require(json_is_object(v));
	require(json_object_size(v) == 3);
	id = json_object_get(v, "id");
	ok = json_object_get(v, "ok");
	require(json_is_null(id) || json_is_number(id) || json_is_string(id));
	require(json_is_boolean(ok));
	if (json_is_true(ok)) {
		require(json_is_object(json_object_get(v, "result")));
	} else {
		e = json_object_get(v, "error");
		require(json_is_object(e) && json_object_size(e) == 2);
		code = json_string_value(json_object_get(e, "code"));
		require(code);
		for (k = 0; k < sizeof(codes) / sizeof(codes[0]); k++)
			if (!strcmp(code, codes[k]))
				break;
		require(k < sizeof(codes) / sizeof(codes[0]));
		require(json_string_value(json_object_get(e, "message")));
	}
	json_decref(v);
}

static void on_line(void *ctx, const char *line, size_t len)
{
	char *copy = NULL, *text;

	(void)ctx;
	require(!line || (len > 0 && len <= CONTROL_LINE_MAX));
	if (line) {
		/* Exactly len bytes, so ASan sees any overread. */
		copy = malloc(len);
		require(copy);
		memcpy(copy, line, len);
	}
	text = control_respond(cmds, sizeof(cmds) / sizeof(cmds[0]), NULL, copy,
			       len);
	check_response(text);
	free(text);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control_lines lines;
	size_t piece, at = 1;

	if (!size)
		return 0;
	piece = 1 + data[0] * 37u;
	control_lines_init(&lines);
	while (at < size) {
		size_t n = size - at < piece ? size - at : piece;

		control_lines_feed(&lines, (const char *)data + at, n, on_line,
				   NULL);
		at += n;
	}
	/* The last line, if the stream stopped without its newline. */
	control_lines_feed(&lines, "\n", 1, on_line, NULL);
	return 0;
}
