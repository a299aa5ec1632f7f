// SPDX-License-Identifier: MIT
/*
 * A strict JSON reader and a compact writer (see json.h). The reader walks
 * the text with an explicit position checked against its length before
 * every byte it reads, and nests at most JSON_MAX_DEPTH deep, so hostile
 * input neither reads past the end nor runs the stack out.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* A growable byte buffer, always NUL-terminated once it holds anything. */
struct jbuf {
	char *p;
	size_t len, cap;
};

static bool jbuf_reserve(struct jbuf *b, size_t more)
{
	size_t need, cap;
	char *p;

	if (more > SIZE_MAX - b->len - 1)
		return false;
	need = b->len + more + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 32;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

static bool jbuf_put(struct jbuf *b, const void *s, size_t n)
{
	if (!jbuf_reserve(b, n))
		return false;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

/*
 * The length of the well-formed UTF-8 sequence at s (at most avail bytes),
 * or 0 if there is none: no overlong forms, no surrogates, nothing above
 * U+10FFFF. s[0] is at least 0x80.
 */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return n;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The reader. */

struct parser {
	const unsigned char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 3, 4)))
fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char msg[96];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	if (!p->err || !p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s at byte %zu", msg, at);
}

static void fail_oom(struct parser *p)
{
	fail(p, p->pos, "out of memory");
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool at_end(const struct parser *p)
{
	return p->pos >= p->len;
}

static void fail_unexpected(struct parser *p, const char *what)
{
	unsigned char c;

	if (at_end(p)) {
		fail(p, p->pos, "unexpected end of input, %s", what);
		return;
	}
	c = p->s[p->pos];
	if (c > 0x20 && c < 0x7f)
		fail(p, p->pos, "unexpected '%c', %s", c, what);
	else
		fail(p, p->pos, "unexpected byte 0x%02x, %s", c, what);
}

static void free_contents(struct json_value *v)
{
	switch (v->type) {
	case JSON_STRING:
		free(v->str);
		break;
	case JSON_ARRAY:
		for (size_t k = 0; k < v->n; k++)
			free_contents(&v->items[k]);
		free(v->items);
		break;
	case JSON_OBJECT:
		for (size_t k = 0; k < v->n; k++) {
			free(v->members[k].key);
			free_contents(&v->members[k].value);
		}
		free(v->members);
		break;
	default:
		break;
	}
	memset(v, 0, sizeof(*v));
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p->pos (just after "\u"), into *out. */
static bool parse_hex4(struct parser *p, uint32_t *out)
{
	uint32_t v = 0;

	if (p->len - p->pos < 4) {
		fail(p, p->pos, "unterminated \\u escape");
		return false;
	}
	for (int k = 0; k < 4; k++) {
		int d = hex_digit(p->s[p->pos + k]);

		if (d < 0) {
			fail(p, p->pos + k, "expected 4 hex digits after \\u");
			return false;
		}
		v = v << 4 | (uint32_t)d;
	}
	p->pos += 4;
	*out = v;
	return true;
}

/* A \u escape, p->pos at the 'u'; a surrogate pair takes two. */
static bool parse_unicode_escape(struct parser *p, struct jbuf *b)
{
	size_t start = p->pos - 1;
	uint32_t cp, lo;
	char enc[4];

	p->pos++;
	if (!parse_hex4(p, &cp))
		return false;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail(p, start, "lone low surrogate \\u%04" PRIX32, cp);
		return false;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
		    p->s[p->pos + 1] != 'u') {
			fail(p, start, "lone high surrogate \\u%04" PRIX32, cp);
			return false;
		}
		p->pos += 2;
		if (!parse_hex4(p, &lo))
			return false;
		if (lo < 0xdc00 || lo > 0xdfff) {
			fail(p, start, "lone high surrogate \\u%04" PRIX32, cp);
			return false;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (!jbuf_put(b, enc, utf8_encode(cp, enc))) {
		fail_oom(p);
		return false;
	}
	return true;
}

/* A string, p->pos at its opening quote; *out is heap, NUL-terminated. */
static bool parse_string(struct parser *p, char **out, size_t *outlen)
{
	struct jbuf b = { 0 };
	size_t start = p->pos;

	p->pos++;
	if (!jbuf_reserve(&b, 0)) {
		fail_oom(p);
		return false;
	}
	b.p[0] = '\0';
	for (;;) {
		size_t run = p->pos;
		unsigned char c;

		/* Copy plain ASCII in runs. */
		while (p->pos < p->len) {
			c = p->s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			p->pos++;
		}
		if (p->pos > run && !jbuf_put(&b, p->s + run, p->pos - run)) {
			fail_oom(p);
			goto bad;
		}
		if (at_end(p)) {
			fail(p, start, "unterminated string");
			goto bad;
		}
		c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			fail(p, p->pos,
			     "raw control character 0x%02x in a string", c);
			goto bad;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq_len(p->s + p->pos, p->len - p->pos);

			if (!n) {
				fail(p, p->pos, "invalid UTF-8 in a string");
				goto bad;
			}
			if (!jbuf_put(&b, p->s + p->pos, n)) {
				fail_oom(p);
				goto bad;
			}
			p->pos += n;
			continue;
		}
		/* A backslash. */
		if (p->len - p->pos < 2) {
			fail(p, start, "unterminated string");
			goto bad;
		}
		c = p->s[p->pos + 1];
		if (c == 'u') {
			p->pos++;
			if (!parse_unicode_escape(p, &b))
				goto bad;
			continue;
		}
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		default:
			if (c > 0x20 && c < 0x7f)
				fail(p, p->pos, "invalid escape '\\%c'", c);
			else
				fail(p, p->pos, "invalid escape in a string");
			goto bad;
		}
		if (!jbuf_put(&b, &c, 1)) {
			fail_oom(p);
			goto bad;
		}
		p->pos += 2;
	}
	*out = b.p;
	*outlen = b.len;
	return true;
bad:
	free(b.p);
	return false;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool parse_number(struct parser *p, struct json_value *v)
{
	size_t start = p->pos, n;
	bool neg = false, integral = true;
	uint64_t mag = 0;
	bool mag_ok = true;
	char small[64], *tok = small, *end;
	double d;

	if (p->s[p->pos] == '-') {
		neg = true;
		p->pos++;
	}
	if (at_end(p) || !is_digit(p->s[p->pos])) {
		fail(p, start, "invalid number: expected a digit");
		return false;
	}
	if (p->s[p->pos] == '0') {
		p->pos++;
		if (!at_end(p) && is_digit(p->s[p->pos])) {
			fail(p, start, "invalid number: leading zero");
			return false;
		}
	} else {
		while (!at_end(p) && is_digit(p->s[p->pos])) {
			unsigned int dg = p->s[p->pos] - '0';

			if (mag > (UINT64_MAX - dg) / 10)
				mag_ok = false;
			else
				mag = mag * 10 + dg;
			p->pos++;
		}
	}
	if (!at_end(p) && p->s[p->pos] == '.') {
		integral = false;
		p->pos++;
		if (at_end(p) || !is_digit(p->s[p->pos])) {
			fail(p, start,
			     "invalid number: expected a digit after '.'");
			return false;
		}
		while (!at_end(p) && is_digit(p->s[p->pos]))
			p->pos++;
	}
	if (!at_end(p) && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integral = false;
		p->pos++;
		if (!at_end(p) && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (at_end(p) || !is_digit(p->s[p->pos])) {
			fail(p, start,
			     "invalid number: expected a digit in the exponent");
			return false;
		}
		while (!at_end(p) && is_digit(p->s[p->pos]))
			p->pos++;
	}

	n = p->pos - start;
	if (n >= sizeof(small)) {
		tok = malloc(n + 1);
		if (!tok) {
			fail_oom(p);
			return false;
		}
	}
	memcpy(tok, p->s + start, n);
	tok[n] = '\0';
	errno = 0;
	d = strtod(tok, &end);
	if (tok != small)
		free(tok);
	if (!isfinite(d)) {
		fail(p, start, "number out of range");
		return false;
	}

	v->type = JSON_NUMBER;
	v->num = d;
	if (integral && mag_ok &&
	    (neg ? mag <= (uint64_t)INT64_MAX + 1
		 : mag <= (uint64_t)INT64_MAX)) {
		v->is_int = true;
		if (neg)
			v->i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
							      : -(int64_t)mag;
		else
			v->i = (int64_t)mag;
	}
	return true;
}

static bool parse_literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
		fail(p, p->pos, "invalid literal, expected %s", word);
		return false;
	}
	p->pos += n;
	return true;
}

static bool parse_value(struct parser *p, struct json_value *v,
			unsigned int depth);

static bool parse_array(struct parser *p, struct json_value *v,
			unsigned int depth)
{
	size_t cap = 0;

	v->type = JSON_ARRAY;
	p->pos++;
	skip_ws(p);
	if (!at_end(p) && p->s[p->pos] == ']') {
		p->pos++;
		return true;
	}
	for (;;) {
		if (v->n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct json_value *items;

			if (ncap > SIZE_MAX / sizeof(*items))
				items = NULL;
			else
				items = realloc(v->items,
						ncap * sizeof(*items));
			if (!items) {
				fail_oom(p);
				return false;
			}
			v->items = items;
			cap = ncap;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->n++;
		if (!parse_value(p, &v->items[v->n - 1], depth))
			return false;
		skip_ws(p);
		if (!at_end(p) && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (!at_end(p) && p->s[p->pos] == ']') {
			p->pos++;
			return true;
		}
		fail_unexpected(p, "expected ',' or ']' in an array");
		return false;
	}
}

static bool parse_object(struct parser *p, struct json_value *v,
			 unsigned int depth)
{
	size_t cap = 0;

	v->type = JSON_OBJECT;
	p->pos++;
	skip_ws(p);
	if (!at_end(p) && p->s[p->pos] == '}') {
		p->pos++;
		return true;
	}
	for (;;) {
		struct json_member *m;
		size_t keypos, keylen;
		char *key;

		skip_ws(p);
		if (at_end(p) || p->s[p->pos] != '"') {
			fail_unexpected(p,
					"expected a string key in an object");
			return false;
		}
		keypos = p->pos;
		if (!parse_string(p, &key, &keylen))
			return false;
		if (memchr(key, '\0', keylen)) {
			free(key);
			fail(p, keypos, "NUL character in an object key");
			return false;
		}
		if (v->n == cap) {
			size_t ncap = cap ? cap * 2 : 4;

			if (ncap > SIZE_MAX / sizeof(*m))
				m = NULL;
			else
				m = realloc(v->members, ncap * sizeof(*m));
			if (!m) {
				free(key);
				fail_oom(p);
				return false;
			}
			v->members = m;
			cap = ncap;
		}
		m = &v->members[v->n++];
		memset(m, 0, sizeof(*m));
		m->key = key;
		skip_ws(p);
		if (at_end(p) || p->s[p->pos] != ':') {
			if (at_end(p))
				fail(p, p->pos,
				     "unexpected end of input, expected ':' after an object key");
			else
				fail(p, p->pos,
				     "expected ':' after an object key");
			return false;
		}
		p->pos++;
		if (!parse_value(p, &m->value, depth))
			return false;
		skip_ws(p);
		if (!at_end(p) && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (!at_end(p) && p->s[p->pos] == '}') {
			p->pos++;
			return true;
		}
		fail_unexpected(p, "expected ',' or '}' in an object");
		return false;
	}
}

/*
 * One value into *v (zeroed). On failure *v holds what was built so far,
 * in a state free_contents() takes.
 */
static bool parse_value(struct parser *p, struct json_value *v,
			unsigned int depth)
{
	unsigned char c;

	skip_ws(p);
	if (at_end(p)) {
		fail(p, p->pos, "unexpected end of input, expected a value");
		return false;
	}
	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH) {
			fail(p, p->pos, "nesting deeper than %d levels",
			     JSON_MAX_DEPTH);
			return false;
		}
		if (c == '{')
			return parse_object(p, v, depth + 1);
		return parse_array(p, v, depth + 1);
	case '"':
		v->type = JSON_STRING;
		return parse_string(p, &v->str, &v->len);
	case 't':
	case 'f':
		if (!parse_literal(p, c == 't' ? "true" : "false"))
			return false;
		v->type = JSON_BOOL;
		v->b = c == 't';
		return true;
	case 'n':
		if (!parse_literal(p, "null"))
			return false;
		v->type = JSON_NULL;
		return true;
	default:
		if (c == '-' || is_digit(c))
			return parse_number(p, v);
		fail_unexpected(p, "expected a value");
		return false;
	}
}

struct json_value *json_parse(const char *text, size_t len, char *err,
			      size_t errlen)
{
	struct parser p = {
		.s = (const unsigned char *)text,
		.len = text ? len : 0,
		.err = err,
		.errlen = errlen,
	};
	struct json_value *v;

	if (err && errlen)
		err[0] = '\0';
	skip_ws(&p);
	if (at_end(&p)) {
		fail(&p, p.pos, "empty input, expected a JSON value");
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		fail_oom(&p);
		return NULL;
	}
	if (!parse_value(&p, v, 0)) {
		json_free(v);
		return NULL;
	}
	skip_ws(&p);
	if (!at_end(&p)) {
		fail_unexpected(&p, "expected the end after the value");
		json_free(v);
		return NULL;
	}
	return v;
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	free_contents(v);
	free(v);
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	for (size_t k = obj->n; k > 0; k--)
		if (strcmp(obj->members[k - 1].key, key) == 0)
			return &obj->members[k - 1].value;
	return NULL;
}

const char *json_get_string(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->str : NULL;
}

/* The writer. */

static void jw_put(struct json_writer *w, const void *s, size_t n)
{
	struct jbuf b = { w->buf, w->len, w->cap };

	if (w->failed)
		return;
	if (!jbuf_put(&b, s, n)) {
		w->failed = true;
		return;
	}
	w->buf = b.p;
	w->len = b.len;
	w->cap = b.cap;
}

static void jw_putc(struct json_writer *w, char c)
{
	jw_put(w, &c, 1);
}

/* Before a value: the comma, or nothing after a key. False if failed. */
static bool jw_prefix(struct json_writer *w)
{
	if (w->failed)
		return false;
	if (w->after_key) {
		w->after_key = false;
		return true;
	}
	if (w->depth == 0) {
		/* A second top-level value would not be one JSON text. */
		if (w->len)
			w->failed = true;
	} else {
		if (!w->first[w->depth])
			jw_putc(w, ',');
		w->first[w->depth] = false;
	}
	return !w->failed;
}

void jw_init(struct json_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_free(struct json_writer *w)
{
	free(w->buf);
	jw_init(w);
}

static void jw_begin(struct json_writer *w, char c)
{
	if (!jw_prefix(w))
		return;
	if (w->depth >= JSON_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	jw_putc(w, c);
	w->depth++;
	w->first[w->depth] = true;
}

static void jw_end(struct json_writer *w, char c)
{
	if (w->failed)
		return;
	if (w->depth == 0 || w->after_key) {
		w->failed = true;
		return;
	}
	jw_putc(w, c);
	w->depth--;
}

void jw_object_begin(struct json_writer *w)
{
	jw_begin(w, '{');
}

void jw_object_end(struct json_writer *w)
{
	jw_end(w, '}');
}

void jw_array_begin(struct json_writer *w)
{
	jw_begin(w, '[');
}

void jw_array_end(struct json_writer *w)
{
	jw_end(w, ']');
}

static void jw_escaped(struct json_writer *w, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t k = 0;

	jw_putc(w, '"');
	while (k < len && !w->failed) {
		size_t run = k;
		unsigned char c;
		char esc[8];

		while (k < len && s[k] >= 0x20 && s[k] < 0x80 && s[k] != '"' &&
		       s[k] != '\\')
			k++;
		if (k > run)
			jw_put(w, s + run, k - run);
		if (k == len)
			break;
		c = s[k];
		if (c >= 0x80) {
			size_t n = utf8_seq_len(s + k, len - k);

			if (n) {
				jw_put(w, s + k, n);
				k += n;
			} else {
				jw_put(w, "\\ufffd", 6);
				k++;
			}
			continue;
		}
		switch (c) {
		case '"':
			jw_put(w, "\\\"", 2);
			break;
		case '\\':
			jw_put(w, "\\\\", 2);
			break;
		case '\b':
			jw_put(w, "\\b", 2);
			break;
		case '\f':
			jw_put(w, "\\f", 2);
			break;
		case '\n':
			jw_put(w, "\\n", 2);
			break;
		case '\r':
			jw_put(w, "\\r", 2);
			break;
		case '\t':
			jw_put(w, "\\t", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jw_put(w, esc, 6);
			break;
		}
		k++;
	}
	jw_putc(w, '"');
}

void jw_key(struct json_writer *w, const char *key)
{
	if (w->failed)
		return;
	if (w->depth == 0 || w->after_key) {
		w->failed = true;
		return;
	}
	if (!w->first[w->depth])
		jw_putc(w, ',');
	w->first[w->depth] = false;
	jw_escaped(w, key ? key : "", key ? strlen(key) : 0);
	jw_putc(w, ':');
	w->after_key = true;
}

void jw_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!s) {
		jw_null(w);
		return;
	}
	if (jw_prefix(w))
		jw_escaped(w, s, len);
}

void jw_string(struct json_writer *w, const char *s)
{
	jw_string_len(w, s, s ? strlen(s) : 0);
}

static void jw_raw(struct json_writer *w, const char *s)
{
	if (jw_prefix(w))
		jw_put(w, s, strlen(s));
}

void jw_int(struct json_writer *w, long long v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%lld", v);
	jw_raw(w, tmp);
}

void jw_uint(struct json_writer *w, unsigned long long v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%llu", v);
	jw_raw(w, tmp);
}

void jw_bool(struct json_writer *w, bool v)
{
	jw_raw(w, v ? "true" : "false");
}

void jw_null(struct json_writer *w)
{
	jw_raw(w, "null");
}

/*
 * A double as the shortest of %.15g, %.16g, %.17g that reads back the
 * same, always with a '.' or exponent so that it reads back as not an
 * integer; the locale's decimal comma, if any, made a point.
 */
static void jw_double(struct json_writer *w, double d)
{
	char tmp[40];

	if (!isfinite(d)) {
		jw_null(w);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	for (char *c = tmp; *c; c++)
		if (*c == ',')
			*c = '.';
	if (!strpbrk(tmp, ".eE"))
		strcat(tmp, ".0");
	jw_raw(w, tmp);
}

void jw_value(struct json_writer *w, const struct json_value *v)
{
	if (w->failed)
		return;
	if (!v) {
		jw_null(w);
		return;
	}
	switch (v->type) {
	case JSON_NULL:
		jw_null(w);
		break;
	case JSON_BOOL:
		jw_bool(w, v->b);
		break;
	case JSON_NUMBER:
		if (v->is_int)
			jw_int(w, (long long)v->i);
		else
			jw_double(w, v->num);
		break;
	case JSON_STRING:
		jw_string_len(w, v->str ? v->str : "", v->str ? v->len : 0);
		break;
	case JSON_ARRAY:
		jw_array_begin(w);
		for (size_t k = 0; k < v->n && !w->failed; k++)
			jw_value(w, &v->items[k]);
		jw_array_end(w);
		break;
	case JSON_OBJECT:
		jw_object_begin(w);
		for (size_t k = 0; k < v->n && !w->failed; k++) {
			jw_key(w, v->members[k].key);
			jw_value(w, &v->members[k].value);
		}
		jw_object_end(w);
		break;
	default:
		w->failed = true;
		break;
	}
}

const char *jw_text(const struct json_writer *w)
{
	if (w->failed)
		return NULL;
	return w->buf ? w->buf : "";
}
