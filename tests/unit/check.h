/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_TEST_CHECK_H
#define SCORPI_TEST_CHECK_H

/*
 * The in-tree unit test runner: CHECK* record a failure with its place and
 * go on; TEST_MAIN runs the listed tests and exits non-zero on any failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                              \
			check_failures++;                                      \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b); \
		if (check_a_ != check_b_) {                                  \
			fprintf(stderr,                                      \
				"%s:%d: %s == %s failed: 0x%" PRIx64         \
				" != 0x%" PRIx64 "\n",                       \
				__FILE__, __LINE__, #a, #b, check_a_,        \
				check_b_);                                   \
			check_failures++;                                    \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *check_a_ = (a), *check_b_ = (b);                  \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) {   \
			fprintf(stderr, "%s:%d: \"%s\" == \"%s\" failed\n",   \
				__FILE__, __LINE__, check_a_ ? check_a_ : "", \
				check_b_ ? check_b_ : "");                    \
			check_failures++;                                     \
		}                                                             \
	} while (0)

struct check_test {
	const char *name;
	void (*fn)(void);
};

static inline int check_run(const struct check_test *tests, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int before = check_failures;

		tests[i].fn();
		printf("%s %s\n", check_failures == before ? "ok  " : "FAIL",
		       tests[i].name);
	}
	return check_failures ? 1 : 0;
}

#define TEST_MAIN(...)                                                        \
	int main(void)                                                        \
	{                                                                     \
		static const struct check_test tests_[] = { __VA_ARGS__ };    \
		return check_run(tests_, sizeof(tests_) / sizeof(tests_[0])); \
	}

#define TEST(fn)        \
	{               \
#fn, fn \
	}

#endif
