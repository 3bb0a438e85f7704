/*
 * Preloaded into seqrt under Oclgrind (tests/oclgrind_check.sh): works
 * around two limitations of Oclgrind 21.10's uninitialized-value checker,
 * both shown with a standalone probe (docs/opencl.md, "Oclgrind"):
 *   - memory written by clEnqueueFillBuffer stays "uninitialized";
 *   - clEnqueueWriteBuffer at a non-zero offset does not mark its region
 *     initialized (a write at offset 0 does).
 * and one crash of Oclgrind with CLBlast:
 *   - at exit, CLBlast's static program cache releases its programs and
 *     Oclgrind's Program destructor aborts ("corrupted double-linked
 *     list") for some of them: a bare CLBlastSgemm of 18x30x4 under
 *     Oclgrind does it, without seqrt.
 * Here a fill becomes a blocking write of the pattern, and a write at
 * offset `off` reads [0, off) back and writes [0, off + size) from offset
 * 0. The data are the same; only what the checker knows changes. The
 * region before `off` becomes "initialized" too: it was always filled or
 * written before (seqrt writes weights and states after a fill), so a
 * finding there is lost only if seqrt wrote a buffer from the middle
 * without filling it first, which it never does. clReleaseProgram does
 * nothing (programs live until the process ends: seqrt builds one per
 * device and keeps it; CLBlast's are released only by its cache at exit).
 */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef cl_int (*write_fn)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, const void *, cl_uint, const cl_event *,
                           cl_event *);
typedef cl_int (*read_fn)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *, cl_uint, const cl_event *,
                          cl_event *);

static write_fn real_write(void) { return (write_fn)dlsym(RTLD_NEXT, "clEnqueueWriteBuffer"); }

CL_API_ENTRY cl_int CL_API_CALL clEnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off,
                                                     size_t size, const void *data, cl_uint nw, const cl_event *w,
                                                     cl_event *ev)
{
    write_fn wr = real_write();
    if (off == 0) return wr(q, m, blocking, off, size, data, nw, w, ev);
    read_fn rd = (read_fn)dlsym(RTLD_NEXT, "clEnqueueReadBuffer");
    char *h = malloc(off + size);
    if (!h) return CL_OUT_OF_HOST_MEMORY;
    cl_int e = rd(q, m, CL_TRUE, 0, off, h, nw, w, NULL);
    if (e == CL_SUCCESS) {
        memcpy(h + off, data, size);
        e = wr(q, m, CL_TRUE, 0, off + size, h, 0, NULL, ev);
    }
    free(h);
    return e;
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueFillBuffer(cl_command_queue q, cl_mem m, const void *pattern, size_t psize,
                                                    size_t off, size_t size, cl_uint nw, const cl_event *w,
                                                    cl_event *ev)
{
    char *h = malloc(size ? size : 1);
    if (!h) return CL_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i + psize <= size; i += psize) memcpy(h + i, pattern, psize);
    cl_int e = clEnqueueWriteBuffer(q, m, CL_TRUE, off, size, h, nw, w, ev);
    free(h);
    return e;
}

CL_API_ENTRY cl_int CL_API_CALL clReleaseProgram(cl_program p)
{
    (void)p;
    return CL_SUCCESS;
}
