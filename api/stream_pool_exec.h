/*
 * The stream pool's own thread (stream_pool_exec.c): the pool's session is
 * created, run and freed there, whichever thread calls the pool.
 */
#ifndef SEQRT_STREAM_POOL_EXEC_H
#define SEQRT_STREAM_POOL_EXEC_H

#include "internal.h"

typedef struct sp_exec sp_exec;
typedef seqrt_status (*sp_exec_fn)(void *arg);

seqrt_status sp_exec_start(sp_exec **out);
/* Runs fn(arg) on the thread and waits; its status, and its error message
 * as this thread's last error. One call at a time. */
seqrt_status sp_exec_call(sp_exec *e, sp_exec_fn fn, void *arg);
/* Ends the thread (no call may be running). NULL: nothing. */
void sp_exec_stop(sp_exec *e);

#endif /* SEQRT_STREAM_POOL_EXEC_H */
