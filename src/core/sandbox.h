/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_SANDBOX_H
#define SCORPI_SANDBOX_H

#include <stdbool.h>

#include "config.h"

/*
 * The process sandbox (docs/security.md). Once a VM is set up, before its
 * first guest instruction, the process gives up for good what it no
 * longer needs: new privileges, its capabilities, every file but those
 * the VM was given (Landlock) and every system call the VMM does not make
 * at run time (a seccomp filter on every thread). A forbidden call ends
 * the process with one line on stderr and SCORPI_EXIT_SANDBOX.
 *
 * It is the whole process's, and permanent: a process that runs several
 * VMs cannot have it. So it is off until the program says that it runs
 * one VM: the scorpi command's front end (cli_parse) does, libscorpi's
 * scorpi_set_sandbox lets an embedding program ask.
 */

/* Whether this process may be sandboxed; off by default. */
void sandbox_allow(bool allow);
bool sandbox_allowed(void);

/* Whether a VM described by cfg gets it: allowed, and cfg says on. */
bool sandbox_wanted(const struct vm_config *cfg);

/* Whether it is installed (once installed, it stays). */
bool sandbox_installed(void);

/*
 * Notes the terminal's settings before the console makes it raw: when
 * the sandbox ends the process, it gives them back first.
 */
void sandbox_save_terminal(void);

/*
 * Installs it for the VM cfg describes, on every thread of the process
 * (what is per thread in Linux, see docs/security.md, on this one and
 * those it starts later). Returns -1 after a message when any part
 * cannot be had: the caller must not run the guest then. Once installed,
 * later calls do nothing.
 */
int sandbox_install(const struct vm_config *cfg);

#endif
