// SPDX-License-Identifier: MIT
/*
 * libscorpi's public API, through the shared library as a program that
 * embeds it sees it: descriptions, error codes and messages. Booting
 * guests through it is tested nested (tests/integration/x86_control.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scorpi/scorpi.h>

#include "check.h"

static void test_errors_are_stable(void)
{
	CHECK_EQ(SCORPI_OK, 0);
	CHECK_EQ(SCORPI_ERR_INVALID, 1);
	CHECK_EQ(SCORPI_ERR_NOT_SUPPORTED, 2);
	CHECK_EQ(SCORPI_ERR_STATE, 7);
	CHECK_STR(scorpi_strerror(SCORPI_ERR_INVALID), "invalid description");
	CHECK_STR(scorpi_strerror(-5), "unknown error");
	CHECK_STR(scorpi_strerror(1000), "unknown error");
	CHECK(strlen(scorpi_version()) > 0);
}

static void test_config_set(void)
{
	scorpi_error err;
	scorpi_config *cfg = scorpi_config_new(&err);
	char *yaml;

	CHECK(cfg != NULL);
	CHECK_EQ(err.code, SCORPI_OK);
	CHECK_EQ(scorpi_config_set(cfg, "name", "api", &err), SCORPI_OK);
	CHECK_EQ(scorpi_config_set(cfg, "cpu", "3", &err), SCORPI_OK);
	CHECK_EQ(scorpi_config_set(cfg, "memory", "1G", &err), SCORPI_OK);
	CHECK_EQ(scorpi_config_set(cfg, "colour", "blue", &err),
		 SCORPI_ERR_INVALID);
	CHECK_EQ(err.code, SCORPI_ERR_INVALID);
	CHECK_STR(err.message, "colour: unknown option");
	CHECK_EQ(scorpi_config_set(cfg, "memory", "lots", &err),
		 SCORPI_ERR_INVALID);
	CHECK(strstr(err.message, "not a memory size") != NULL);
	CHECK_EQ(scorpi_config_set(cfg, NULL, "x", &err), SCORPI_ERR_INVALID);
	/* A good call clears the last message. */
	CHECK_EQ(scorpi_config_set(cfg, "cmdline", "console=ttyS0", &err),
		 SCORPI_OK);
	CHECK_STR(err.message, "");
	/* NULL err: the code still comes back. */
	CHECK_EQ(scorpi_config_set(cfg, "cpu", "x", NULL), SCORPI_ERR_INVALID);

	CHECK_EQ(scorpi_config_add_device(cfg, SCORPI_BUS_PCI,
					  "2,virtio-blk,disk.img,ro", &err),
		 SCORPI_OK);
	CHECK_EQ(scorpi_config_add_device(cfg, SCORPI_BUS_PCI, "2,virtio-rnd",
					  &err),
		 SCORPI_ERR_INVALID);
	CHECK(strstr(err.message, "slot 2:0 is already taken") != NULL);
	CHECK_EQ(scorpi_config_add_device(cfg, SCORPI_BUS_PCI,
					  "3,virtio-blk,disk2.img,bogus=1",
					  &err),
		 SCORPI_ERR_INVALID);
	CHECK_EQ(scorpi_config_add_device(cfg, SCORPI_BUS_USB, "help", &err),
		 SCORPI_ERR_INVALID);
	CHECK_EQ(scorpi_config_add_device(cfg, 7, "kbd", &err),
		 SCORPI_ERR_INVALID);
	CHECK_EQ(scorpi_config_add_device(cfg, SCORPI_BUS_LPC,
					  "vm-control,path=/tmp/x.sock", &err),
		 SCORPI_OK);
	yaml = scorpi_config_to_yaml(cfg);
	CHECK(yaml != NULL);
	/* What was refused left nothing behind. */
	CHECK(strstr(yaml, "cpu: 3\n") != NULL);
	CHECK(strstr(yaml, "memory: 1G\n") != NULL);
	CHECK(strstr(yaml, "path: \"disk.img\"\n      ro: true\n") != NULL);
	CHECK(strstr(yaml, "disk2.img") == NULL);
	CHECK(strstr(yaml, "virtio-rnd") == NULL);
	CHECK(strstr(yaml,
		     "- device: vm-control\n      path: \"/tmp/x.sock\"") !=
	      NULL);
	free(yaml);
	scorpi_config_free(cfg);
}

static void test_config_yaml(void)
{
	static const char good[] =
		"name: y\ncpu: 2\nmemory: 512M\n"
		"devices:\n  pci:\n    - {device: virtio-rnd, slot: 4}\n";
	static const char bad[] = "name: y\ncpu: 2\nmemory: [1]\n";
	scorpi_error err;
	scorpi_config *cfg =
		scorpi_config_from_yaml(good, strlen(good), "good.yaml", &err);
	char *yaml;

	CHECK(cfg != NULL);
	yaml = cfg ? scorpi_config_to_yaml(cfg) : NULL;
	CHECK(yaml && strstr(yaml, "slot: \"4:0\"") != NULL);
	free(yaml);
	scorpi_config_free(cfg);
	cfg = scorpi_config_from_yaml(bad, strlen(bad), "bad.yaml", &err);
	CHECK(cfg == NULL);
	CHECK_EQ(err.code, SCORPI_ERR_INVALID);
	CHECK(strncmp(err.message, "bad.yaml:3: memory", 18) == 0);
}

/* Starting fails with the right code, before anything runs. */
static void test_start_errors(void)
{
	scorpi_error err;
	scorpi_config *cfg = scorpi_config_new(&err);
	scorpi_vm *vm;

	CHECK(scorpi_vm_start(NULL, NULL, NULL, &err) == NULL);
	CHECK_EQ(err.code, SCORPI_ERR_INVALID);
	/* No name, then no kernel. */
	CHECK(scorpi_vm_start(cfg, NULL, NULL, &err) == NULL);
	CHECK_EQ(err.code, SCORPI_ERR_INVALID);
	CHECK(strstr(err.message, "no VM name") != NULL);
	scorpi_config_set(cfg, "name", "s", &err);
	CHECK(scorpi_vm_start(cfg, NULL, NULL, &err) == NULL);
	CHECK(strstr(err.message, "no kernel") != NULL);
	/* A kernel that is not there. */
	scorpi_config_set(cfg, "kernel", "/nonexistent/bzImage", &err);
	CHECK(scorpi_vm_start(cfg, NULL, NULL, &err) == NULL);
	CHECK_EQ(err.code, SCORPI_ERR_IO);
	CHECK_STR(err.message,
		  "kernel /nonexistent/bzImage: No such file or directory");
	/* Described, not built. */
	scorpi_config_add_device(cfg, SCORPI_BUS_PCI, "1,xhci", &err);
	CHECK(scorpi_vm_start(cfg, NULL, NULL, &err) == NULL);
	CHECK_EQ(err.code, SCORPI_ERR_NOT_SUPPORTED);
	CHECK(strstr(err.message, "not supported yet") != NULL);
	scorpi_config_free(cfg);
	vm = scorpi_vm_start(NULL, NULL, NULL, NULL);
	CHECK(vm == NULL);
}

TEST_MAIN(TEST(test_errors_are_stable), TEST(test_config_set),
	  TEST(test_config_yaml), TEST(test_start_errors))
