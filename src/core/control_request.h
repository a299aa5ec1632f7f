/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_CONTROL_REQUEST_H
#define SCORPI_CONTROL_REQUEST_H

/*
 * The control socket's protocol (docs/control-socket.md), apart from the
 * socket and the VM: request lines cut out of a byte stream, and one
 * request line turned into its response line through a table of
 * commands. control.c serves it; the unit tests and the fuzzer drive it
 * with tables of their own.
 */
#include <stdbool.h>
#include <stddef.h>

#include "../base/json.h"

#define CONTROL_LINE_MAX 4096 /* bytes in a request line, without "\n" */

/* A response in the making: the command fills result or sets an error. */
struct control_reply {
	json_t *result; /* an object; NULL only when out of memory */
	const char *code; /* NULL: ok */
	char message[256];
};

void control_reply_error(struct control_reply *r, const char *code,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An argument a command takes. Every argument is a string. */
struct control_arg {
	const char *name;
	bool required;
	const char *hint; /* for "CMD needs a NAME: HINT" */
};

struct control_command {
	const char *name;
	/* What it takes, ended by a NULL name; NULL: nothing. */
	const struct control_arg *args;
	/*
	 * Runs with arguments already checked: an object (empty when the
	 * request had none) holding only names of args, each a string,
	 * every required one there.
	 */
	void (*fn)(void *ctx, json_t *args, struct control_reply *r);
};

/*
 * The response to one request line (len bytes, no newline; line NULL: a
 * line that was too long): one line of compact JSON, without its
 * newline, on the heap (free()); NULL only when out of memory.
 */
char *control_respond(const struct control_command *cmds, size_t ncmds,
		      void *ctx, const char *line, size_t len);

/* The VM's commands (control.c), ctx a struct vm_control_socket. */
extern const struct control_command vm_control_commands[];
extern const size_t vm_control_ncommands;

/* The response when out of memory: a constant. */
extern const char control_oom_response[];

/*
 * Lines out of a client's byte stream. Each complete line that is not
 * empty goes to fn; a line that grows past CONTROL_LINE_MAX goes to fn
 * once as NULL, and the rest of it, up to its newline, is skipped.
 */
struct control_lines {
	size_t len;
	bool discarding;
	char buf[CONTROL_LINE_MAX + 1];
};

typedef void control_line_fn(void *ctx, const char *line, size_t len);

static inline void control_lines_init(struct control_lines *l)
{
	l->len = 0;
	l->discarding = false;
}

void control_lines_feed(struct control_lines *l, const char *in, size_t n,
			control_line_fn *fn, void *ctx);

#endif
