// SPDX-License-Identifier: MIT
/*
 * Logging: one line per message on stderr. The console may be in raw mode,
 * where "\n" does not return the carriage, so lines end in "\r\n" when
 * stderr is a terminal.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Debug output is chosen by the environment, read once per message. */
int log_debug_enabled(void)
{
	const char *v = getenv("SCORPI_DEBUG");

	return v && *v && strcmp(v, "0") != 0;
}

struct log_capture {
	char *buf;
	size_t len;
	bool taken;
};

static __thread struct log_capture capture;

void log_capture_begin(char *buf, size_t len)
{
	capture = (struct log_capture){ buf, len, false };
	if (len)
		buf[0] = 0;
}

void log_capture_end(void)
{
	capture = (struct log_capture){ 0 };
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "scorpi: %s", level);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (capture.buf) {
		if (!capture.taken && capture.len && !*level) {
			snprintf(capture.buf, capture.len, "%s",
				 buf + strlen("scorpi: "));
			capture.taken = true;
		}
		return;
	}
	/* One write, so that lines from several threads do not interleave. */
	n = strlen(buf);
	if ((size_t)n > sizeof(buf) - 3)
		n = sizeof(buf) - 3;
	if (isatty(STDERR_FILENO))
		buf[n++] = '\r';
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

#define DEFINE_LOG(name, level, cond)     \
	void name(const char *fmt, ...)   \
	{                                 \
		va_list ap;               \
		if (!(cond))              \
			return;           \
		va_start(ap, fmt);        \
		log_line(level, fmt, ap); \
		va_end(ap);               \
	}

DEFINE_LOG(log_error, "", 1)
DEFINE_LOG(log_warn, "warning: ", 1)
DEFINE_LOG(log_info, "", 1)
DEFINE_LOG(log_debug, "debug: ", log_debug_enabled())
