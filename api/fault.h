/*
 * Fault injection: make the N-th allocation, or the N-th call of a backend's
 * runtime (OpenCL, oneDNN), fail on purpose, so that a test can walk the
 * failure point across every one of them and check that each failure comes
 * back as an error status, with nothing leaked and nothing crashed.
 *
 * Injection points. Every allocation of the core goes through sq_malloc()
 * and friends (site "alloc"). A backend wraps each runtime call that can fail
 * in SQ_FAULT_OR, naming a site "<backend>:<what>", e.g.
 *
 *     err = SQ_FAULT_OR("opencl:enqueue", CL_OUT_OF_RESOURCES,
 *                       clEnqueueNDRangeKernel(q, k, 1, NULL, gws, NULL, 0, NULL, NULL));
 *     buf = SQ_FAULT_OR("opencl:clCreateBuffer", (err = CL_OUT_OF_RESOURCES, NULL),
 *                       clCreateBuffer(ctx, CL_MEM_READ_WRITE, bytes, NULL, &err));
 *     err = SQ_FAULT_OR("opencl:build", CL_BUILD_PROGRAM_FAILURE,
 *                       clBuildProgram(prog, 1, &dev, opts, NULL, NULL));
 *     st  = SQ_FAULT_OR("onednn:primitive_create", dnnl_out_of_memory,
 *                       dnnl_primitive_create(&prim, pd));
 *
 * When the point fires, the call is not made and `fail_value` stands for its
 * result, so the backend's ordinary error path runs. Suggested sites:
 * "opencl:build" for program builds (a build failure), "opencl:<clFunction>"
 * for the rest (CL_OUT_OF_RESOURCES or CL_MEM_OBJECT_ALLOCATION_FAILURE),
 * "onednn:<dnnl_function>" (dnnl_out_of_memory or dnnl_runtime_error).
 *
 * Cost. sq_fault_hit() is always exported by libseqrt, so a backend module
 * needs no special build: in an ordinary libseqrt it returns 0 and does
 * nothing else (one call, next to an OpenCL or oneDNN call). Only a library
 * built with SEQRT_FAULT_INJECTION (the fault-injection test's own copy of
 * the core, see tests/reliability.cmake) counts and fails calls; only that
 * build has the control functions below.
 */
#ifndef SEQRT_FAULT_H
#define SEQRT_FAULT_H

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if the call at `site` must fail now, else 0. Thread-safe. */
int sq_fault_hit(const char *site);

#define SQ_FAULT_OR(site, fail_value, call) (sq_fault_hit(site) ? (fail_value) : (call))

#ifdef SEQRT_FAULT_INJECTION
/* Test control (fault-injection builds only). From now on, count the hits of
 * every site whose name starts with `prefix` ("alloc", "opencl", "onednn",
 * "opencl:build"; "" or NULL: every site) and make hit number `fail_at` fail
 * (1-based; 0: count only, never fail). Returns the number of matching hits
 * counted since the previous call. */
long sq_fault_set(const char *prefix, long fail_at);
/* Same as sq_fault_set("alloc", fail_at). */
long sq_fault_alloc_set(long fail_at);
/* Allocations made through sq_malloc/sq_calloc/sq_realloc/sq_strdup (and
 * cJSON's, routed through them in this build) and not yet freed: a test
 * compares it before and after a failed call to find leaks. */
long sq_fault_live(void);
#endif

#ifdef __cplusplus
}
#endif

#endif /* SEQRT_FAULT_H */
