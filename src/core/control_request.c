// SPDX-License-Identifier: MIT
/*
 * The control protocol without the socket (control_request.h): a request
 * line is parsed, checked against the command table (its members, its
 * command, the command's arguments) and answered with one response line.
 * Every way a request can be wrong ends in one error response.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_request.h"

const char control_oom_response[] =
	"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"failed\","
	"\"message\":\"out of memory\"}}";

void control_reply_error(struct control_reply *r, const char *code,
			 const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static const struct control_arg *find_arg(const struct control_command *c,
					  const char *name)
{
	for (const struct control_arg *a = c->args; a && a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

/* The arguments against what the command takes: true if fine. */
static bool check_args(const struct control_command *c, json_t *args,
		       struct control_reply *r)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v)
	{
		if (!find_arg(c, key)) {
			char names[128] = "";
			size_t n = 0;

			for (const struct control_arg *a = c->args;
			     a && a->name && n < sizeof(names); a++)
				n += (size_t)snprintf(names + n,
						      sizeof(names) - n, "%s%s",
						      n ? ", " : "", a->name);
			if (!names[0])
				control_reply_error(
					r, "bad-arguments",
					"%s takes no arguments: '%.64s'",
					c->name, key);
			else
				control_reply_error(
					r, "bad-arguments",
					"%s takes no argument '%.64s' (only %s)",
					c->name, key, names);
			return false;
		}
		if (!json_is_string(v)) {
			control_reply_error(r, "bad-arguments",
					    "%s must be a string", key);
			return false;
		}
	}
	for (const struct control_arg *a = c->args; a && a->name; a++) {
		if (!a->required || json_object_get(args, a->name))
			continue;
		if (a->hint)
			control_reply_error(r, "bad-arguments",
					    "%s needs a %s: %s", c->name,
					    a->name, a->hint);
		else
			control_reply_error(r, "bad-arguments", "%s needs a %s",
					    c->name, a->name);
		return false;
	}
	return true;
}

static const char *const request_members[] = { "id", "command", "arguments" };

/*
 * The request checked and run: its id (borrowed from req, or NULL) in
 * *id, the outcome in r.
 */
static void handle(const struct control_command *cmds, size_t ncmds, void *ctx,
		   json_t *req, const char *perr, json_t **id,
		   struct control_reply *r)
{
	json_t *cmd, *args, *v, *empty = NULL;
	const struct control_command *c = NULL;
	const char *key;

	if (!req) {
		control_reply_error(r, "bad-request", "not JSON: %s", perr);
		return;
	}
	if (!json_is_object(req)) {
		control_reply_error(r, "bad-request",
				    "a request is a JSON object");
		return;
	}
	v = json_object_get(req, "id");
	if (v && !json_is_number(v) && !json_is_string(v)) {
		control_reply_error(r, "bad-request",
				    "id must be a number or a string");
		return;
	}
	*id = v;
	json_object_foreach(req, key, v)
	{
		size_t k;

		for (k = 0;
		     k < sizeof(request_members) / sizeof(request_members[0]);
		     k++)
			if (!strcmp(key, request_members[k]))
				break;
		if (k == sizeof(request_members) / sizeof(request_members[0])) {
			control_reply_error(
				r, "bad-request",
				"unknown member '%.64s': a request "
				"has only id, command and arguments",
				key);
			return;
		}
	}
	cmd = json_object_get(req, "command");
	if (!cmd) {
		control_reply_error(
			r, "bad-request",
			"no command: {\"id\":1,\"command\":\"status\"}");
		return;
	}
	if (!json_is_string(cmd)) {
		control_reply_error(r, "bad-request",
				    "command must be a string");
		return;
	}
	args = json_object_get(req, "arguments");
	if (args && !json_is_object(args)) {
		control_reply_error(r, "bad-request",
				    "arguments must be an object");
		return;
	}
	for (size_t i = 0; i < ncmds; i++)
		if (!strcmp(json_string_value(cmd), cmds[i].name))
			c = &cmds[i];
	if (!c) {
		control_reply_error(r, "unknown-command", "no command '%.64s'",
				    json_string_value(cmd));
		return;
	}
	if (!args) {
		args = empty = json_object();
		if (!args) {
			control_reply_error(r, "failed", "out of memory");
			return;
		}
	}
	if (check_args(c, args, r))
		c->fn(ctx, args, r);
	json_decref(empty);
}

char *control_respond(const struct control_command *cmds, size_t ncmds,
		      void *ctx, const char *line, size_t len)
{
	struct control_reply r = { .result = json_object() };
	json_t *req = NULL, *id = NULL, *resp, *err;
	char perr[200];
	char *text = NULL;
	bool ok = true;

	if (!r.result)
		return NULL;
	if (!line) {
		control_reply_error(&r, "too-long",
				    "a request is at most %d bytes",
				    CONTROL_LINE_MAX);
	} else {
		req = json_parse(line, len, perr, sizeof(perr));
		handle(cmds, ncmds, ctx, req, perr, &id, &r);
	}

	resp = json_object();
	ok &= resp && !json_object_set_new(resp, "id",
					   id ? json_incref(id) : json_null());
	ok &= !json_object_set_new(resp, "ok", json_boolean(!r.code));
	if (r.code) {
		err = json_object();
		ok &= !json_object_set_new(err, "code",
					   json_string_lossy(r.code));
		ok &= !json_object_set_new(err, "message",
					   json_string_lossy(r.message));
		ok &= !json_object_set_new(resp, "error", err);
		json_decref(r.result);
	} else {
		ok &= !json_object_set_new(resp, "result", r.result);
	}
	if (ok)
		text = json_text(resp);
	json_decref(resp);
	json_decref(req);
	return text;
}

void control_lines_feed(struct control_lines *l, const char *in, size_t n,
			control_line_fn *fn, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		char ch = in[i];

		if (ch == '\n') {
			if (!l->discarding && l->len)
				fn(ctx, l->buf, l->len);
			l->discarding = false;
			l->len = 0;
			continue;
		}
		if (l->discarding)
			continue;
		if (l->len == CONTROL_LINE_MAX) {
			fn(ctx, NULL, 0);
			l->discarding = true;
			l->len = 0;
			continue;
		}
		l->buf[l->len++] = ch;
	}
}
