/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_LOG_H
#define SCORPI_LOG_H

#include <stddef.h>

/*
 * Every message is one line on stderr, prefixed with "scorpi: ", so that a
 * user sees exactly what went wrong and a test can match it.
 */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_debug_enabled(void);

/*
 * While a capture is set, this thread's first error goes into buf
 * instead of stderr (libscorpi returns it to the caller); later ones
 * are dropped. Per thread, so two VMs never see each other's.
 */
void log_capture_begin(char *buf, size_t len);
void log_capture_end(void);

#endif
