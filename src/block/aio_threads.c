// SPDX-License-Identifier: MIT
/*
 * The fallback engine, where io_uring is not available: a few threads
 * take requests from a queue and run preadv/pwritev/fdatasync, then put
 * them on the completed list and signal the eventfd.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/log.h"
#include "aio_engine.h"

#define POOL_THREADS 4

struct thread_engine {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct aio_req *queue, **queue_tail; /* FIFO */
	struct aio_req *done;
	int done_fd;
	bool stop;
	unsigned int nthreads;
	pthread_t threads[POOL_THREADS];
};

static void run_request(struct aio_req *r)
{
	if (r->op != AIO_FDATASYNC) {
		r->result = aio_finish_sync(r, 0);
		return;
	}
	while ((r->result = fdatasync(r->fd)) < 0 && errno == EINTR)
		;
	if (r->result < 0)
		r->result = -errno;
}

static void *pool_thread(void *arg)
{
	struct thread_engine *t = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		struct aio_req *r;

		while (!t->queue && !t->stop)
			pthread_cond_wait(&t->work, &t->lock);
		if (!t->queue)
			break; /* stopping, and nothing left to do */
		r = t->queue;
		t->queue = r->next;
		if (!t->queue)
			t->queue_tail = &t->queue;
		pthread_mutex_unlock(&t->lock);
		run_request(r);
		pthread_mutex_lock(&t->lock);
		r->next = t->done;
		t->done = r;
		if (write(t->done_fd, &one, sizeof(one)) < 0)
			log_error("I/O thread: %s", strerror(errno));
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void threads_destroy(void *engine)
{
	struct thread_engine *t = engine;

	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->work);
	pthread_mutex_unlock(&t->lock);
	for (unsigned int i = 0; i < t->nthreads; i++)
		pthread_join(t->threads[i], NULL);
	pthread_cond_destroy(&t->work);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void *threads_create(unsigned int depth, int done_fd)
{
	struct thread_engine *t = calloc(1, sizeof(*t));
	unsigned int want = depth < POOL_THREADS ? depth : POOL_THREADS;

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->work, NULL);
	t->queue_tail = &t->queue;
	t->done_fd = done_fd;
	for (; t->nthreads < want; t->nthreads++) {
		int err = pthread_create(&t->threads[t->nthreads], NULL,
					 pool_thread, t);

		if (err) {
			threads_destroy(t);
			errno = err;
			return NULL;
		}
	}
	return t;
}

static void threads_submit(void *engine, struct aio_req *r)
{
	struct thread_engine *t = engine;

	r->next = NULL;
	pthread_mutex_lock(&t->lock);
	*t->queue_tail = r;
	t->queue_tail = &r->next;
	pthread_cond_signal(&t->work);
	pthread_mutex_unlock(&t->lock);
}

static void threads_commit(void *engine)
{
	(void)engine; /* submitted requests start at once */
}

static struct aio_req *threads_take(void *engine)
{
	struct thread_engine *t = engine;
	struct aio_req *done;

	pthread_mutex_lock(&t->lock);
	done = t->done;
	t->done = NULL;
	pthread_mutex_unlock(&t->lock);
	return done;
}

const struct aio_engine_ops aio_threads_ops = {
	.name = "threads",
	.create = threads_create,
	.submit = threads_submit,
	.commit = threads_commit,
	.take = threads_take,
	.destroy = threads_destroy,
};
