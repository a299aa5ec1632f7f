// SPDX-License-Identifier: MIT
/*
 * The control socket's requests without a VM (core/control_request.h):
 * lines cut from the stream, requests checked and answered, through a
 * table of fake commands and through the VM's own table for everything
 * that is refused before a command runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/control_request.h"

#include "check.h"

/* The fake commands: what they saw. */
struct fake {
	int calls;
	char last[64];
};

static void cmd_echo(void *ctx, json_t *args, struct control_reply *r)
{
	struct fake *f = ctx;
	const char *key;
	json_t *v;

	f->calls++;
	snprintf(f->last, sizeof(f->last), "echo");
	json_object_foreach(args, key, v) json_object_set(r->result, key, v);
}

static void cmd_nothing(void *ctx, json_t *args, struct control_reply *r)
{
	struct fake *f = ctx;

	(void)args;
	(void)r;
	f->calls++;
	snprintf(f->last, sizeof(f->last), "nothing");
}

static void cmd_refuse(void *ctx, json_t *args, struct control_reply *r)
{
	struct fake *f = ctx;

	(void)args;
	f->calls++;
	json_object_set_new(r->result, "dropped", json_true());
	control_reply_error(r, "wrong-state", "cannot %s: the VM is %s",
			    "refuse", "paused");
}

static const struct control_arg echo_args[] = {
	{ "rule", true, "tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT" },
	{ "device", false, NULL },
	{ "plain", false, NULL },
	{ 0 },
};
static const struct control_arg need_args[] = {
	{ "what", true, NULL },
	{ 0 },
};

static const struct control_command fake_cmds[] = {
	{ "echo", echo_args, cmd_echo },
	{ "nothing", NULL, cmd_nothing },
	{ "need", need_args, cmd_nothing },
	{ "refuse", NULL, cmd_refuse },
};
#define NFAKE (sizeof(fake_cmds) / sizeof(fake_cmds[0]))

static struct fake fake;

/* The response to line as text; NULL line: too long. */
static char *respond_text(const char *line)
{
	char *text = control_respond(fake_cmds, NFAKE, &fake, line,
				     line ? strlen(line) : 0);

	CHECK(text != NULL);
	if (text)
		CHECK(!strchr(text, '\n'));
	return text;
}

/* line's response must be exactly want. */
static void check_response(const char *line, const char *want, int where)
{
	char *text = respond_text(line);

	if (!text || strcmp(text, want)) {
		fprintf(stderr,
			"%s:%d: '%s' gave\n    %s\n  expected\n    %s\n",
			__FILE__, where, line ? line : "(too long)",
			text ? text : "(null)", want);
		check_failures++;
	}
	free(text);
}

#define RESPONSE(line, want) check_response(line, want, __LINE__)

/* line must fail with code (and a message starting with msg, if any). */
static void check_error(const struct control_command *cmds, size_t n,
			const char *line, size_t len, const char *code,
			const char *msg, int where)
{
	char *text = control_respond(cmds, n, &fake, line, len);
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	json_t *e = json_object_get(v, "error");
	const char *got = json_string_value(json_object_get(e, "code"));
	const char *m = json_string_value(json_object_get(e, "message"));

	if (!json_is_false(json_object_get(v, "ok")) || !got ||
	    strcmp(got, code) || !m || !m[0] || strchr(m, '\n') ||
	    (msg && strncmp(m, msg, strlen(msg))) ||
	    json_object_get(v, "result") || json_object_size(v) != 3) {
		fprintf(stderr, "%s:%d: '%.*s' gave %s, expected %s: %s...\n",
			__FILE__, where, (int)len, line ? line : "(too long)",
			text ? text : "(null)", code, msg ? msg : "");
		check_failures++;
	}
	json_decref(v);
	free(text);
}

#define ERROR(line, code, msg) \
	check_error(fake_cmds, NFAKE, line, strlen(line), code, msg, __LINE__)
#define VM_ERROR(line, code, msg)                                    \
	check_error(vm_control_commands, vm_control_ncommands, line, \
		    strlen(line), code, msg, __LINE__)

static void test_ok(void)
{
	fake.calls = 0;
	RESPONSE("{\"id\":1,\"command\":\"nothing\"}",
		 "{\"id\":1,\"ok\":true,\"result\":{}}");
	CHECK(fake.calls == 1);
	CHECK_STR(fake.last, "nothing");
	RESPONSE("{\"command\":\"nothing\",\"arguments\":{},\"id\":2}",
		 "{\"id\":2,\"ok\":true,\"result\":{}}");
	/* Whitespace, and a CR before the newline, are fine. */
	RESPONSE(" { \"id\" : 3 , \"command\" : \"nothing\" }\r",
		 "{\"id\":3,\"ok\":true,\"result\":{}}");
	RESPONSE("{\"id\":4,\"command\":\"echo\",\"arguments\":"
		 "{\"rule\":\"tcp::2222-:22\",\"device\":\"net0\"}}",
		 "{\"id\":4,\"ok\":true,\"result\":{\"rule\":\"tcp::2222-:22\","
		 "\"device\":\"net0\"}}");
	/* Unicode goes through as it came. */
	RESPONSE("{\"id\":5,\"command\":\"echo\",\"arguments\":"
		 "{\"rule\":\"\\u00e9\xe2\x82\xac\"}}",
		 "{\"id\":5,\"ok\":true,\"result\":{\"rule\":\"\xc3\xa9\xe2\x82"
		 "\xac\"}}");
	CHECK(fake.calls == 5);
	/* A command's error drops whatever result it had begun. */
	RESPONSE("{\"id\":6,\"command\":\"refuse\"}",
		 "{\"id\":6,\"ok\":false,\"error\":{\"code\":\"wrong-state\","
		 "\"message\":\"cannot refuse: the VM is paused\"}}");
}

static void test_ids(void)
{
	/* Echoed as sent: integers, strings, other numbers. */
	RESPONSE("{\"id\":\"abc\",\"command\":\"nothing\"}",
		 "{\"id\":\"abc\",\"ok\":true,\"result\":{}}");
	RESPONSE("{\"id\":-9223372036854775808,\"command\":\"nothing\"}",
		 "{\"id\":-9223372036854775808,\"ok\":true,\"result\":{}}");
	RESPONSE("{\"id\":2.5,\"command\":\"nothing\"}",
		 "{\"id\":2.5,\"ok\":true,\"result\":{}}");
	RESPONSE("{\"id\":\"\",\"command\":\"nothing\"}",
		 "{\"id\":\"\",\"ok\":true,\"result\":{}}");
	/* No id: null. */
	RESPONSE("{\"command\":\"nothing\"}",
		 "{\"id\":null,\"ok\":true,\"result\":{}}");
	/* The last of a repeated id. */
	RESPONSE("{\"id\":1,\"id\":7,\"command\":\"nothing\"}",
		 "{\"id\":7,\"ok\":true,\"result\":{}}");
	/* An id that is read is echoed with the errors that follow it. */
	RESPONSE(
		"{\"id\":9,\"command\":\"frob\"}",
		"{\"id\":9,\"ok\":false,\"error\":{\"code\":\"unknown-command\","
		"\"message\":\"no command 'frob'\"}}");
	RESPONSE(
		"{\"id\":\"s\"}",
		"{\"id\":\"s\",\"ok\":false,\"error\":{\"code\":\"bad-request\","
		"\"message\":\"no command: {\\\"id\\\":1,\\\"command\\\":"
		"\\\"status\\\"}\"}}");
	/* One of the wrong type is not. */
	RESPONSE(
		"{\"id\":null,\"command\":\"nothing\"}",
		"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad-request\","
		"\"message\":\"id must be a number or a string\"}}");
	ERROR("{\"id\":true,\"command\":\"nothing\"}", "bad-request",
	      "id must be");
	ERROR("{\"id\":[1],\"command\":\"nothing\"}", "bad-request",
	      "id must be");
	ERROR("{\"id\":{},\"command\":\"nothing\"}", "bad-request",
	      "id must be");
	/* Not JSON: no id to echo. */
	RESPONSE(
		"{\"id\":3,\"command\":\"nothing\"",
		"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad-request\","
		"\"message\":\"not JSON: '}' expected near end of file at "
		"byte 27\"}}");
}

static void test_bad_requests(void)
{
	fake.calls = 0;
	ERROR("not json", "bad-request", "not JSON: ");
	ERROR(" ", "bad-request", "not JSON: ");
	ERROR("\x00\xff\xfe", "bad-request", "not JSON: ");
	check_error(fake_cmds, NFAKE, "{\"id\":1}\0x", 10, "bad-request",
		    "not JSON: ", __LINE__);
	check_error(fake_cmds, NFAKE, "\"\xff\"", 3, "bad-request",
		    "not JSON: ", __LINE__);
	ERROR("{\"id\":1,\"command\":\"a\\u0000b\"}", "bad-request",
	      "not JSON: ");
	ERROR("{\"id\":1e400,\"command\":\"nothing\"}", "bad-request",
	      "not JSON: real number overflow");
	ERROR("{\"id\":18446744073709551616,\"command\":\"nothing\"}",
	      "bad-request", "not JSON: too big integer");
	ERROR("[1,2]", "bad-request", "a request is a JSON object");
	ERROR("\"status\"", "bad-request", "a request is a JSON object");
	ERROR("null", "bad-request", "a request is a JSON object");
	ERROR("{}", "bad-request", "no command");
	ERROR("{\"id\":6}", "bad-request", "no command");
	ERROR("{\"id\":6,\"command\":5}", "bad-request",
	      "command must be a string");
	ERROR("{\"id\":6,\"command\":null}", "bad-request",
	      "command must be a string");
	ERROR("{\"id\":7,\"command\":\"nothing\",\"arguments\":5}",
	      "bad-request", "arguments must be an object");
	ERROR("{\"id\":7,\"command\":\"nothing\",\"arguments\":[]}",
	      "bad-request", "arguments must be an object");
	ERROR("{\"id\":7,\"command\":\"nothing\",\"arguments\":null}",
	      "bad-request", "arguments must be an object");
	ERROR("{\"id\":7,\"command\":\"nothing\",\"args\":{}}", "bad-request",
	      "unknown member 'args': a request has only id, command and "
	      "arguments");
	ERROR("{\"id\":8,\"command\":\"frob\"}", "unknown-command",
	      "no command 'frob'");
	ERROR("{\"id\":8,\"command\":\"\"}", "unknown-command",
	      "no command ''");
	ERROR("{\"id\":8,\"command\":\"Nothing\"}", "unknown-command", NULL);
	/* A long name is cut in the message, which stays valid text. */
	ERROR("{\"command\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	      "\xc3\xa9\xc3\xa9\xc3\xa9x\"}",
	      "unknown-command", "no command '");
	/* Nesting is limited. */
	ERROR("{\"command\":\"echo\",\"arguments\":{\"rule\":"
	      "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}}",
	      "bad-request", "not JSON: nesting deeper than 16 levels");
	CHECK(fake.calls == 0);
}

static void test_arguments(void)
{
	fake.calls = 0;
	ERROR("{\"id\":1,\"command\":\"echo\"}", "bad-arguments",
	      "echo needs a rule: tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT");
	ERROR("{\"id\":1,\"command\":\"echo\",\"arguments\":{}}",
	      "bad-arguments", "echo needs a rule: ");
	ERROR("{\"id\":1,\"command\":\"echo\",\"arguments\":{\"device\":\"x\"}}",
	      "bad-arguments", "echo needs a rule: ");
	ERROR("{\"id\":1,\"command\":\"need\"}", "bad-arguments",
	      "need needs a what");
	ERROR("{\"id\":1,\"command\":\"echo\",\"arguments\":{\"rule\":5}}",
	      "bad-arguments", "rule must be a string");
	ERROR("{\"id\":1,\"command\":\"echo\",\"arguments\":"
	      "{\"rule\":\"r\",\"device\":null}}",
	      "bad-arguments", "device must be a string");
	ERROR("{\"id\":1,\"command\":\"echo\",\"arguments\":"
	      "{\"rule\":\"r\",\"bogus\":\"x\"}}",
	      "bad-arguments",
	      "echo takes no argument 'bogus' (only rule, device, plain)");
	ERROR("{\"id\":1,\"command\":\"nothing\",\"arguments\":{\"x\":\"1\"}}",
	      "bad-arguments", "nothing takes no arguments: 'x'");
	ERROR("{\"id\":1,\"command\":\"nothing\",\"arguments\":{\"x\":1}}",
	      "bad-arguments", "nothing takes no arguments: 'x'");
	CHECK(fake.calls == 0);
	/* An empty arguments object is none. */
	RESPONSE("{\"id\":1,\"command\":\"nothing\",\"arguments\":{}}",
		 "{\"id\":1,\"ok\":true,\"result\":{}}");
	CHECK(fake.calls == 1);
}

/* The VM's own table, as far as no command runs. */
static void test_vm_commands(void)
{
	static const char *const names[] = {
		"status",      "pause",		 "resume",  "reset",
		"quit",	       "powerdown",	 "devices", "stats",
		"hostfwd-add", "hostfwd-remove",
	};
	char line[128];

	CHECK_EQ(vm_control_ncommands, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_STR(vm_control_commands[i].name, names[i]);
		snprintf(line, sizeof(line),
			 "{\"id\":1,\"command\":\"%s\",\"arguments\":"
			 "{\"bogus\":\"1\"}}",
			 names[i]);
		VM_ERROR(line, "bad-arguments", names[i]);
	}
	VM_ERROR(
		"{\"id\":1,\"command\":\"status\",\"arguments\":{\"a\":\"b\"}}",
		"bad-arguments", "status takes no arguments: 'a'");
	VM_ERROR("{\"id\":1,\"command\":\"frob\"}", "unknown-command",
		 "no command 'frob'");
	VM_ERROR(
		"{\"id\":\"s\",\"command\":\"hostfwd-add\",\"arguments\":{}}",
		"bad-arguments",
		"hostfwd-add needs a rule: tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT");
	VM_ERROR("{\"id\":1,\"command\":\"hostfwd-remove\"}", "bad-arguments",
		 "hostfwd-remove needs a rule: ");
	VM_ERROR("{\"id\":1,\"command\":\"hostfwd-add\",\"arguments\":"
		 "{\"rule\":\"tcp::1-:2\",\"device\":7}}",
		 "bad-arguments", "device must be a string");
	VM_ERROR("{\"id\":1,\"command\":\"hostfwd-add\",\"arguments\":"
		 "{\"rule\":\"tcp::1-:2\",\"id\":\"net0\"}}",
		 "bad-arguments",
		 "hostfwd-add takes no argument 'id' (only rule, device)");
	VM_ERROR("{\"id\":7,\"command\":\"status\",\"arguments\":5}",
		 "bad-request", "arguments must be an object");
}

static void test_too_long(void)
{
	RESPONSE(NULL, "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
		       "\"too-long\",\"message\":\"a request is at most 4096 "
		       "bytes\"}}");
}

/* What control_lines_feed hands on. */
struct seen {
	int n, too_long;
	size_t len[8];
	char first[64];
};

static void on_line(void *ctx, const char *line, size_t len)
{
	struct seen *s = ctx;

	if (!line) {
		s->too_long++;
	} else {
		if (s->n < 8)
			s->len[s->n] = len;
		if (!s->n)
			snprintf(s->first, sizeof(s->first), "%.*s",
				 (int)(len < 63 ? len : 63), line);
	}
	s->n++;
}

static void test_lines(void)
{
	static struct control_lines l;
	struct seen s = { 0 };
	char *big = malloc(CONTROL_LINE_MAX + 2);

	control_lines_init(&l);
	/* Empty lines are skipped; a line may come in pieces. */
	control_lines_feed(&l, "\n\n{\"id\"", 7, on_line, &s);
	CHECK(s.n == 0);
	control_lines_feed(&l, ":1}\n\nx", 6, on_line, &s);
	CHECK(s.n == 1 && s.len[0] == 8);
	CHECK_STR(s.first, "{\"id\":1}");
	control_lines_feed(&l, "\n", 1, on_line, &s);
	CHECK(s.n == 2 && s.len[1] == 1);

	/* Exactly the limit is a line; one byte more is too long, once. */
	memset(big, 'a', CONTROL_LINE_MAX + 1);
	big[CONTROL_LINE_MAX] = '\n';
	s = (struct seen){ 0 };
	control_lines_feed(&l, big, CONTROL_LINE_MAX + 1, on_line, &s);
	CHECK(s.n == 1 && s.too_long == 0 && s.len[0] == CONTROL_LINE_MAX);

	memset(big, 'a', CONTROL_LINE_MAX + 2);
	s = (struct seen){ 0 };
	control_lines_feed(&l, big, CONTROL_LINE_MAX + 1, on_line, &s);
	CHECK(s.n == 1 && s.too_long == 1);
	/* The rest of it, however long, is skipped up to its newline. */
	for (int k = 0; k < 4; k++)
		control_lines_feed(&l, big, CONTROL_LINE_MAX + 2, on_line, &s);
	CHECK(s.n == 1 && s.too_long == 1);
	control_lines_feed(&l, "tail\n{}\n", 8, on_line, &s);
	CHECK(s.n == 2 && s.too_long == 1 && s.len[1] == 2);
	free(big);
}

TEST_MAIN(TEST(test_ok), TEST(test_ids), TEST(test_bad_requests),
	  TEST(test_arguments), TEST(test_vm_commands), TEST(test_too_long),
	  TEST(test_lines))
