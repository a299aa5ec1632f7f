// SPDX-License-Identifier: MIT
/*
 * scorpictl: the client of a VM's control socket (docs/control-socket.md).
 * It sends one request, with id 1, skips the events pushed meanwhile and
 * prints the result of the response with that id; or, for "events", sends
 * nothing and prints every event until the VM ends. Every failure is one
 * line on stderr: exit 1, or 2 for a usage error.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"

#define REQUEST_MAX 4096 /* bytes in a request line, without its newline */
#define RESPONSE_MAX (1u << 20) /* a line from the server */
#define DEFAULT_TIMEOUT_S 10.0
#define MAX_ARGS 64

static const char usage_text[] =
	"Usage: scorpictl [-t SECONDS] SOCKET COMMAND [ARGS...]\n"
	"\n"
	"Send COMMAND to the VM whose control socket is SOCKET (scorpi -l SOCKET)\n"
	"and print its result as one line of JSON (nothing if it is empty).\n"
	"\n"
	"Commands:\n"
	"  status                        name, state, vCPUs, memory, uptime\n"
	"  pause | resume                stop or restart the vCPUs\n"
	"  reset                         reset the VM in place\n"
	"  powerdown                     ask the guest to shut down (power button)\n"
	"  quit                          end the VM at once\n"
	"  devices                       list the devices and their state\n"
	"  stats                         the VM exits the VMM has handled, by reason\n"
	"  hostfwd-add RULE [DEVICE]     forward a host port into a slirp network:\n"
	"                                RULE is tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT\n"
	"  hostfwd-remove RULE [DEVICE]  stop forwarding it\n"
	"  events                        print every event as it comes, until the VM\n"
	"                                ends or Ctrl-C\n"
	"Any command also takes KEY=VALUE arguments, sent as strings (the VM\n"
	"refuses those that the command does not take).\n"
	"\n"
	"Options:\n"
	"  -t SECONDS  wait at most this long for the response (default 10; 0 waits\n"
	"              for ever)\n"
	"  -h, --help  show this help\n"
	"\n"
	"Exit status: 0 done, 1 the command or the connection failed, 2 bad usage.\n";

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void __attribute__((noreturn)) usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("scorpictl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (scorpictl --help for usage)\n", stderr);
	exit(2);
}

static void __attribute__((noreturn)) oom(void)
{
	fprintf(stderr, "scorpictl: out of memory\n");
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr,
			"scorpictl: %s: socket path too long (at most %zu bytes)\n",
			path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "scorpictl: socket: %s\n", strerror(errno));
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		fprintf(stderr, "scorpictl: cannot connect to %s: %s\n", path,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * 0 when all of it is sent, -1 on an error (said on stderr), -2 with
 * errno when the server closed the connection: it may have said why
 * first (a client it refuses gets one error line).
 */
static int send_all(int fd, const char *path, const char *s, size_t n)
{
	while (n) {
		ssize_t r = send(fd, s, n, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return -2;
			fprintf(stderr, "scorpictl: cannot send to %s: %s\n",
				path, strerror(errno));
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Lines from the socket, read into a buffer that grows to RESPONSE_MAX. */
struct reader {
	int fd;
	const char *path;
	char *buf;
	size_t len, cap, start;
	bool eof;
};

enum read_result { LINE, CLOSED, TIMED_OUT, INTERRUPTED, FAILED };

/*
 * The next line (without its "\n" or "\r\n") in *line and *linelen, its
 * bytes valid until the next call. deadline < 0: none. A last line cut
 * off by the end of the stream counts as a line.
 */
static enum read_result read_line(struct reader *r, double deadline,
				  char **line, size_t *linelen)
{
	for (;;) {
		char *nl = r->len > r->start ? memchr(r->buf + r->start, '\n',
						      r->len - r->start)
					     : NULL;
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		int timeout_ms = -1, pr;
		ssize_t got;

		if (nl || (r->eof && r->len > r->start)) {
			size_t end = nl ? (size_t)(nl - r->buf) : r->len;

			*line = r->buf + r->start;
			*linelen = end - r->start;
			if (*linelen && (*line)[*linelen - 1] == '\r')
				(*linelen)--;
			r->start = nl ? end + 1 : end;
			return LINE;
		}
		if (r->eof)
			return CLOSED;
		/* Drop consumed lines, then make room. */
		if (r->start) {
			memmove(r->buf, r->buf + r->start, r->len - r->start);
			r->len -= r->start;
			r->start = 0;
		}
		if (r->len >= RESPONSE_MAX) {
			fprintf(stderr,
				"scorpictl: malformed response from %s: a line "
				"over %u bytes\n",
				r->path, RESPONSE_MAX);
			return FAILED;
		}
		if (r->cap - r->len < 4096) {
			size_t cap = r->cap ? r->cap * 2 : 8192;
			char *p = realloc(r->buf, cap);

			if (!p) {
				fprintf(stderr, "scorpictl: out of memory\n");
				return FAILED;
			}
			r->buf = p;
			r->cap = cap;
		}
		if (deadline >= 0) {
			double left = deadline - now_s();

			if (left <= 0)
				return TIMED_OUT;
			timeout_ms = left > 1e6 ? 1000000000
						: (int)(left * 1000) + 1;
		}
		pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0) {
			if (errno == EINTR) {
				if (interrupted)
					return INTERRUPTED;
				continue;
			}
			fprintf(stderr, "scorpictl: poll: %s\n",
				strerror(errno));
			return FAILED;
		}
		if (pr == 0)
			continue; /* the deadline check above ends it */
		got = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET) {
				r->eof = true;
				continue;
			}
			fprintf(stderr, "scorpictl: cannot read from %s: %s\n",
				r->path, strerror(errno));
			return FAILED;
		}
		if (got == 0)
			r->eof = true;
		r->len += (size_t)got;
	}
}

static bool blank(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (s[k] != ' ' && s[k] != '\t')
			return false;
	return true;
}

static json_t *parse_line(const struct reader *r, const char *line, size_t len)
{
	char err[200];
	json_t *v = json_parse(line, len, err, sizeof(err));

	if (!v) {
		fprintf(stderr, "scorpictl: malformed response from %s: %s\n",
			r->path, err);
		return NULL;
	}
	if (!json_is_object(v)) {
		fprintf(stderr,
			"scorpictl: malformed response from %s: not an object\n",
			r->path);
		json_decref(v);
		return NULL;
	}
	return v;
}

static bool is_event(const json_t *v)
{
	return json_is_string(json_object_get(v, "event")) &&
	       !json_object_get(v, "id");
}

static int print_line(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	putchar('\n');
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "scorpictl: cannot write to stdout: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static int run_events(struct reader *r)
{
	for (;;) {
		json_t *v;
		char *line;
		size_t len;
		int rc = 0;

		switch (read_line(r, -1, &line, &len)) {
		case LINE:
			break;
		case CLOSED:
		case INTERRUPTED:
			return 0;
		default:
			return 1;
		}
		if (blank(line, len))
			continue;
		v = parse_line(r, line, len);
		if (!v)
			return 1;
		if (is_event(v))
			rc = print_line(line, len);
		json_decref(v);
		if (rc)
			return 1;
	}
}

/* s with control characters (a newline, say) as spaces. */
static void print_flat(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

/* The response to our request: its result printed, or its error. */
static int handle_response(const struct reader *r, const json_t *v)
{
	const json_t *ok = json_object_get(v, "ok"), *res, *e;
	const char *code, *msg;
	char *text;
	int rc = 0;

	if (!json_is_boolean(ok)) {
		fprintf(stderr,
			"scorpictl: malformed response from %s: no \"ok\"\n",
			r->path);
		return 1;
	}
	if (json_is_false(ok)) {
		e = json_object_get(v, "error");
		code = json_string_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
		if (!code) {
			fprintf(stderr,
				"scorpictl: malformed response from %s: an "
				"error without a code\n",
				r->path);
			return 1;
		}
		/* One line, whatever the server sent. */
		fprintf(stderr, "scorpictl: ");
		print_flat(stderr, code);
		fputs(": ", stderr);
		print_flat(stderr, msg ? msg : "(no message)");
		fputc('\n', stderr);
		return 1;
	}
	res = json_object_get(v, "result");
	if (!res)
		return 0;
	if (!json_is_object(res)) {
		fprintf(stderr,
			"scorpictl: malformed response from %s: the result "
			"is not an object\n",
			r->path);
		return 1;
	}
	if (json_object_size(res) == 0)
		return 0;
	text = json_text(res);
	if (!text) {
		fprintf(stderr, "scorpictl: out of memory\n");
		rc = 1;
	} else if (print_line(text, strlen(text)) != 0) {
		rc = 1;
	}
	free(text);
	return rc;
}

static int run_command(struct reader *r, const char *request, size_t len,
		       double timeout_s)
{
	double deadline = timeout_s > 0 ? now_s() + timeout_s : -1;
	int sent = send_all(r->fd, r->path, request, len), send_err = errno;

	if (sent == -1)
		return 1;
	for (;;) {
		const json_t *id;
		json_t *v;
		char *line;
		size_t n;
		int rc;

		switch (read_line(r, deadline, &line, &n)) {
		case LINE:
			break;
		case CLOSED:
			if (sent < 0)
				fprintf(stderr,
					"scorpictl: cannot send to %s: %s\n",
					r->path, strerror(send_err));
			else
				fprintf(stderr,
					"scorpictl: %s closed the connection "
					"before responding\n",
					r->path);
			return 1;
		case TIMED_OUT:
			fprintf(stderr,
				"scorpictl: no response from %s within %g s\n",
				r->path, timeout_s);
			return 1;
		case INTERRUPTED:
			return 130;
		default:
			return 1;
		}
		if (blank(line, n))
			continue;
		v = parse_line(r, line, n);
		if (!v)
			return 1;
		if (is_event(v)) {
			json_decref(v);
			continue;
		}
		id = json_object_get(v, "id");
		/* id null: the server could not read ours; its error stands. */
		if (!id ||
		    !(json_is_null(id) ||
		      (json_is_integer(id) && json_integer_value(id) == 1))) {
			fprintf(stderr,
				"scorpictl: malformed response from %s: not "
				"an event and not the response to id 1\n",
				r->path);
			json_decref(v);
			return 1;
		}
		rc = handle_response(r, v);
		json_decref(v);
		return rc;
	}
}

/* A KEY=VALUE argument into the request's "arguments". */
struct arg {
	const char *key;
	size_t keylen;
	const char *value;
};

static void add_arg(struct arg *args, unsigned int *n, const char *key,
		    size_t keylen, const char *value)
{
	for (unsigned int k = 0; k < *n; k++)
		if (args[k].keylen == keylen &&
		    !memcmp(args[k].key, key, keylen))
			usage_error("argument '%.*s' given twice", (int)keylen,
				    key);
	if (*n == MAX_ARGS)
		usage_error("too many arguments (at most %d)", MAX_ARGS);
	args[*n] = (struct arg){ key, keylen, value };
	(*n)++;
}

/* The request line, "\n" included, in *out (heap). */
static size_t build_request(const char *command, char **argv, int argc,
			    char **out)
{
	bool hostfwd = !strcmp(command, "hostfwd-add") ||
		       !strcmp(command, "hostfwd-remove");
	struct arg args[MAX_ARGS];
	unsigned int nargs = 0, positional = 0;
	bool have_rule = false;
	json_t *req;
	char *text;
	size_t len;

	for (int k = 0; k < argc; k++) {
		const char *a = argv[k], *eq = strchr(a, '=');

		if (!eq) {
			if (hostfwd && positional < 2) {
				add_arg(args, &nargs,
					positional ? "device" : "rule",
					positional ? 6 : 4, a);
				positional++;
				continue;
			}
			if (hostfwd)
				usage_error("%s takes RULE [DEVICE], then only "
					    "KEY=VALUE arguments: '%s'",
					    command, a);
			usage_error("'%s': arguments to %s are KEY=VALUE", a,
				    command);
		}
		if (eq == a)
			usage_error("'%s': an empty KEY", a);
		add_arg(args, &nargs, a, (size_t)(eq - a), eq + 1);
	}
	for (unsigned int k = 0; k < nargs; k++)
		if (args[k].keylen == 4 && !memcmp(args[k].key, "rule", 4))
			have_rule = true;
	if (hostfwd && !have_rule)
		usage_error("%s needs a RULE, such as tcp::8080-:80", command);

	req = json_object();
	json_object_set_new(req, "id", json_integer(1));
	json_object_set_new(req, "command", json_string_lossy(command));
	if (nargs) {
		json_t *o = json_object();

		for (unsigned int k = 0; k < nargs; k++) {
			json_t *key;

			if (args[k].keylen >= 256)
				usage_error("'%.32s...': KEY too long",
					    args[k].key);
			/* A key that is not UTF-8 goes as the server sees it. */
			key = json_string_lossy_len(args[k].key,
						    args[k].keylen);
			if (!key)
				oom();
			json_object_setn_new(o, json_string_value(key),
					     json_string_length(key),
					     json_string_lossy(args[k].value));
			json_decref(key);
		}
		json_object_set_new(req, "arguments", o);
	}
	text = json_text(req);
	json_decref(req);
	if (!text)
		oom();
	len = strlen(text);
	if (len > REQUEST_MAX)
		usage_error("the request is %zu bytes, over the %d a line may "
			    "hold",
			    len, REQUEST_MAX);
	*out = realloc(text, len + 1 + 1);
	if (!*out)
		oom();
	(*out)[len] = '\n';
	(*out)[len + 1] = '\0';
	return len + 1;
}

static double parse_timeout(const char *s)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(t) || t < 0 || t > 86400 * 365)
		usage_error("-t '%s': not a number of seconds", s);
	return t;
}

int main(int argc, char **argv)
{
	double timeout_s = DEFAULT_TIMEOUT_S;
	struct reader r = { .fd = -1 };
	struct sigaction sa = { .sa_handler = on_sigint };
	const char *path, *command;
	char *request = NULL;
	size_t reqlen = 0;
	int i = 1, rc;

	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		const char *o = argv[i];

		if (!strcmp(o, "--")) {
			i++;
			break;
		}
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(o, "-t")) {
			if (i + 1 >= argc)
				usage_error("-t needs a number of seconds");
			timeout_s = parse_timeout(argv[i + 1]);
			i += 2;
			continue;
		}
		if (!strncmp(o, "-t", 2)) {
			timeout_s = parse_timeout(o + 2);
			i++;
			continue;
		}
		usage_error("unknown option '%s'", o);
	}
	if (argc - i < 2)
		usage_error(argc - i < 1 ? "no SOCKET given"
					 : "no COMMAND given");
	path = argv[i];
	command = argv[i + 1];
	if (!*path)
		usage_error("empty SOCKET path");
	if (!*command)
		usage_error("empty COMMAND");

	if (!strcmp(command, "events")) {
		if (argc - i > 2)
			usage_error("events takes no arguments");
	} else {
		reqlen = build_request(command, argv + i + 2, argc - i - 2,
				       &request);
	}

	/* Ctrl-C ends "events" (and a wait) cleanly: no SA_RESTART. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	r.fd = connect_socket(path);
	if (r.fd < 0) {
		free(request);
		return 1;
	}
	r.path = path;
	if (request)
		rc = run_command(&r, request, reqlen, timeout_s);
	else
		rc = run_events(&r);
	close(r.fd);
	free(r.buf);
	free(request);
	return rc;
}
