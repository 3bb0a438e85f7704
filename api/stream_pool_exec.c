/*
 * The stream pool's own thread (docs/streams.md). A pool may be called
 * from any thread, but its session is created, run and freed on this one
 * thread: some backends keep per-thread state behind a session (oneDNN's
 * RNN primitive uses the scratchpad of the thread that created it, and
 * crashes when it runs on another), so a session that serves every caller
 * must stay on one thread. A call hands the function to the thread, waits
 * for it, and brings its status and error message back to the caller's
 * thread. Calls come one at a time (under the pool's lock).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "stream_pool_exec.h"

struct sp_exec {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sp_exec_fn fn;           /* the call waiting or running; NULL when none */
    void *arg;
    bool done, quit;
    seqrt_status status;
    char error[1024];
};

static void *exec_main(void *arg)
{
    sp_exec *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->quit && (!e->fn || e->done)) pthread_cond_wait(&e->cv, &e->mu);
        if (e->quit) break;
        sp_exec_fn fn = e->fn;
        void *a = e->arg;
        pthread_mutex_unlock(&e->mu);
        sq_clear_error();
        seqrt_status st = fn(a);
        pthread_mutex_lock(&e->mu);
        e->status = st;
        snprintf(e->error, sizeof e->error, "%s", st ? seqrt_last_error() : "");
        e->done = true;
        pthread_cond_broadcast(&e->cv);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

seqrt_status sp_exec_start(sp_exec **out)
{
    *out = NULL;
    sp_exec *e = sq_calloc(1, sizeof *e);
    if (!e) return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "out of memory creating a stream pool");
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    if (pthread_create(&e->thread, NULL, exec_main, e)) {
        pthread_cond_destroy(&e->cv);
        pthread_mutex_destroy(&e->mu);
        sq_free(e);
        return sq_error(SEQRT_ERR_OUT_OF_MEMORY, "stream pool: cannot start its thread");
    }
    *out = e;
    return SEQRT_OK;
}

seqrt_status sp_exec_call(sp_exec *e, sp_exec_fn fn, void *arg)
{
    pthread_mutex_lock(&e->mu);
    e->fn = fn;
    e->arg = arg;
    e->done = false;
    pthread_cond_broadcast(&e->cv);
    while (!e->done) pthread_cond_wait(&e->cv, &e->mu);
    e->fn = NULL;
    seqrt_status st = e->status;
    char error[sizeof e->error];
    memcpy(error, e->error, sizeof error);
    pthread_mutex_unlock(&e->mu);
    return st ? sq_error(st, "%s", error) : SEQRT_OK;
}

void sp_exec_stop(sp_exec *e)
{
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    e->quit = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thread, NULL);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    sq_free(e);
}
