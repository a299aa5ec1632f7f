// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for YAML VM files: any input either loads or is
 * refused with one message; what loads, written back as canonical YAML,
 * loads again to the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/config.h"

static char *canonical(const struct vm_config *cfg)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	config_write_yaml(cfg, f);
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config a, b;
	char msg[256];
	char *first, *second;

	/* Messages go to a buffer: a refused file is the common case. */
	log_capture_begin(msg, sizeof(msg));
	config_init(&a);
	if (config_load_yaml(&a, (const char *)data, size, "fuzz.yaml") < 0) {
		if (!msg[0])
			abort(); /* refused without saying why */
		config_free(&a);
		log_capture_end();
		return 0;
	}
	first = canonical(&a);
	config_init(&b);
	if (config_load_yaml(&b, first, strlen(first), "canonical.yaml") < 0) {
		fprintf(stderr, "canonical YAML refused: %s\n%s", msg, first);
		abort();
	}
	second = canonical(&b);
	if (strcmp(first, second)) {
		fprintf(stderr, "not stable:\n%s---\n%s", first, second);
		abort();
	}
	free(first);
	free(second);
	config_free(&a);
	config_free(&b);
	log_capture_end();
	return 0;
}
