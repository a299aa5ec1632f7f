/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_CONSOLE_H
#define SCORPI_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "chardev.h"
#include "event_loop.h"
#include "lifecycle.h"

/* Where console input goes: returns how many bytes were taken. */
typedef size_t (*console_sink_fn)(void *ctx, const uint8_t *buf, size_t len);

struct console;

/*
 * The terminal as a VM console: stdin and stdout, in raw mode when they
 * are a terminal (restored by console_close; the library installs no
 * signal handler, so after a fatal signal that is the program's job).
 * Ctrl-A x asks the VM to stop; Ctrl-A Ctrl-A sends a Ctrl-A.
 */
struct console *console_open_stdio(struct event_loop *loop,
				   const struct vm_control *control);
void console_close(struct console *c);
/* The chardev a device writes the guest's output through. */
void console_chardev(struct console *c, struct chardev *out);
/* Where input goes; reading starts here. */
void console_set_sink(struct console *c, console_sink_fn sink, void *ctx);

#endif
