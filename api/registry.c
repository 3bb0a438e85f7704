/*
 * The backend registry: the built-in reference backend and the shared
 * modules (libseqrt-onednn.so, libseqrt-opencl.so) loaded at first use with
 * dlopen, from $SEQRT_BACKEND_PATH (colon-separated directories) or the
 * module directory beside libseqrt itself (<libdir>/seqrt-0). A module that is missing, or whose own
 * libraries (oneDNN, the OpenCL ICD loader) are missing, is listed as
 * unavailable with the reason; it is never silently replaced by another.
 *
 * A module is loaded (and its devices probed) only when it is first asked
 * for: by name (seqrt_device_find("onednn"), its backend info or device),
 * or all of them for "auto" and for listings. Running on the reference or
 * oneDNN never starts an OpenCL platform.
 *
 * $SEQRT_EXTRA_BACKENDS (comma-separated module names, e.g. "perturb") adds
 * modules after the built-in list, loaded the same way (libseqrt-<name>.so):
 * the conformance tests load a test-only backend through it. At most
 * SQ_MAX_EXTRA; a name that is not [a-z0-9_]+ or that is already listed is
 * ignored with a warning; "auto" never chooses an extra backend.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

static const char *const g_module_names[] = {"onednn", "opencl"};
#define SQ_NBUILTIN 3
#define SQ_MAX_EXTRA 4

static sq_backend g_backends[SQ_NBUILTIN + SQ_MAX_EXTRA];
static size_t g_nbackends = SQ_NBUILTIN; /* built-ins + $SEQRT_EXTRA_BACKENDS */
static bool g_loaded[SQ_NBUILTIN + SQ_MAX_EXTRA]; /* load_module has run (under g_load_lock) */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_load_lock = PTHREAD_MUTEX_INITIALIZER;

#ifndef SEQRT_MODULE_DIR_NAME
#define SEQRT_MODULE_DIR_NAME "seqrt-0"
#endif

/* The directory holding libseqrt itself, as it was loaded. */
static void lib_dir(char *buf, size_t n)
{
    Dl_info info;
    buf[0] = '\0';
    if (dladdr((void *)&lib_dir, &info) && info.dli_fname) {
        char *real = realpath(info.dli_fname, NULL); /* "/p/lib", not "/p/bin/../lib" */
        snprintf(buf, n, "%s", real ? real : info.dli_fname);
        free(real);
        char *slash = strrchr(buf, '/');
        if (slash) *slash = '\0';
        else snprintf(buf, n, ".");
    }
}

/* Appends "dir" to the searched list, noting a directory that does not
 * exist or holds no seqrt module at all (a broken install reads as such). */
static void note_searched(char *searched, size_t n, const char *dir)
{
    size_t used = strlen(searched);
    const char *why = "";
    DIR *d = opendir(dir);
    if (!d) {
        why = " (no such directory)";
    } else {
        bool any = false;
        for (struct dirent *e; !any && (e = readdir(d));)
            any = !strncmp(e->d_name, "libseqrt-", 9) && strstr(e->d_name, ".so");
        closedir(d);
        if (!any) why = " (no seqrt module in it)";
    }
    snprintf(searched + used, n - used, "%s%s%s", used ? ", " : "", dir, why);
}

/* Search order: each directory of $SEQRT_BACKEND_PATH, then the module
 * directory beside libseqrt (<libdir>/seqrt-<SOVERSION>, in the build tree
 * and in an installed prefix alike). */
static void load_module(sq_backend *b, const char *name)
{
    char file[64], searched[2048] = "", path[1024];
    snprintf(file, sizeof file, "libseqrt-%s.so", name);
    snprintf(b->name, sizeof b->name, "%s", name);
    char dirs[4096] = "", own[1024];
    const char *env = getenv("SEQRT_BACKEND_PATH");
    if (env && *env) snprintf(dirs, sizeof dirs, "%s:", env);
    lib_dir(own, sizeof own);
    if (own[0])
        snprintf(dirs + strlen(dirs), sizeof dirs - strlen(dirs), "%s/%s", own, SEQRT_MODULE_DIR_NAME);
    char *save = NULL;
    for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        if (!*dir) continue;
        snprintf(path, sizeof path, "%s/%s", dir, file);
        if (access(path, F_OK) != 0) {
            note_searched(searched, sizeof searched, dir);
            continue;
        }
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *e = dlerror();
            snprintf(b->reason, sizeof b->reason, "module %s cannot be loaded: %s", path, e ? e : "?");
            snprintf(b->module, sizeof b->module, "%s", path);
            return;
        }
        snprintf(b->module, sizeof b->module, "%s", path);
        snprintf(b->name, sizeof b->name, "%s", name);
        const int *abi = (const int *)dlsym(h, SQ_BACKEND_MODULE_ABI_SYMBOL);
        sq_backend_module_init_fn init = (sq_backend_module_init_fn)dlsym(h, SQ_BACKEND_MODULE_INIT);
        if (!abi || !init || *abi != SQ_BACKEND_ABI) {
            if (!abi || !init)
                snprintf(b->reason, sizeof b->reason, "module %s has no %s entry point", path,
                         !abi ? SQ_BACKEND_MODULE_ABI_SYMBOL : SQ_BACKEND_MODULE_INIT);
            else
                snprintf(b->reason, sizeof b->reason, "module %s was built for backend ABI %d, libseqrt has %d",
                         path, *abi, SQ_BACKEND_ABI);
            dlclose(h);
            return;
        }
        seqrt_status st = init(b);
        snprintf(b->name, sizeof b->name, "%s", name);
        if (st != SEQRT_OK && !b->reason[0])
            snprintf(b->reason, sizeof b->reason, "%s", seqrt_last_error());
        if (!b->reason[0] && b->ndevices == 0) snprintf(b->reason, sizeof b->reason, "no device found");
        b->dl_handle = h; /* kept loaded for the life of the process */
        for (size_t i = 0; i < b->ndevices; i++) {
            b->devices[i].backend = b;
            b->devices[i].index = i;
        }
        return;
    }
    snprintf(b->reason, sizeof b->reason, "module %s not found (searched: %s; set SEQRT_BACKEND_PATH)",
             file, *searched ? searched : "nothing");
}

static bool valid_module_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 24) return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return false;
    return true;
}

static void load_extra_modules(void)
{
    const char *env = getenv("SEQRT_EXTRA_BACKENDS");
    if (!env || !*env) return;
    char list[512], *save = NULL;
    snprintf(list, sizeof list, "%s", env);
    for (char *name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
        bool listed = false;
        for (size_t i = 0; i < g_nbackends; i++) listed = listed || !strcmp(g_backends[i].name, name);
        if (!valid_module_name(name) || listed || !strcmp(name, "auto")) {
            sq_log(SQ_LOG_WARN, "SEQRT_EXTRA_BACKENDS: ignoring '%s' (%s)", name,
                   listed ? "already listed" : "not a module name [a-z0-9_]+");
            continue;
        }
        if (g_nbackends == SQ_NBUILTIN + SQ_MAX_EXTRA) {
            sq_log(SQ_LOG_WARN, "SEQRT_EXTRA_BACKENDS: at most %d extra backends; ignoring '%s'", SQ_MAX_EXTRA, name);
            continue;
        }
        snprintf(g_backends[g_nbackends++].name, sizeof g_backends[0].name, "%s", name);
    }
}

static void registry_init(void)
{
    sq_backend *ref = &g_backends[0];
    if (sq_reference_backend_init(ref) != SEQRT_OK && !ref->reason[0])
        snprintf(ref->reason, sizeof ref->reason, "%s", seqrt_last_error());
    snprintf(ref->module, sizeof ref->module, "built-in");
    for (size_t i = 0; i < ref->ndevices; i++) {
        ref->devices[i].backend = ref;
        ref->devices[i].index = i;
    }
    g_loaded[0] = true;
    for (int i = 0; i < SQ_NBUILTIN - 1; i++)
        snprintf(g_backends[i + 1].name, sizeof g_backends[0].name, "%s", g_module_names[i]);
    load_extra_modules();
}

/* The names of every backend are known; modules are loaded by ensure_loaded. */
static void ensure_init(void) { pthread_once(&g_once, registry_init); }

/* Loads module i (once; a failure is kept as its reason). */
static void ensure_loaded(size_t i)
{
    ensure_init();
    pthread_mutex_lock(&g_load_lock);
    if (!g_loaded[i]) {
        char name[sizeof g_backends[0].name];
        snprintf(name, sizeof name, "%s", g_backends[i].name);
        load_module(&g_backends[i], name);
        g_loaded[i] = true;
    }
    pthread_mutex_unlock(&g_load_lock);
}

static void ensure_all_loaded(void)
{
    ensure_init();
    for (size_t i = 0; i < g_nbackends; i++) ensure_loaded(i);
}

size_t seqrt_backend_count(void)
{
    ensure_init();
    return g_nbackends;
}

static bool available(const sq_backend *b) { return !b->reason[0] && b->ndevices > 0; }

seqrt_status seqrt_backend_get_info(size_t i, seqrt_backend_info *out)
{
    ensure_init();
    if (!out || i >= g_nbackends)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "backend index %zu is out of range [0, %zu)", i, g_nbackends);
    ensure_loaded(i);
    const sq_backend *b = &g_backends[i];
    out->name = b->name;
    out->available = available(b);
    out->reason = b->reason;
    out->module = b->module;
    out->device_count = available(b) ? b->ndevices : 0;
    return SEQRT_OK;
}

seqrt_status seqrt_backend_get_device(const seqrt_device **out, size_t backend, size_t device)
{
    ensure_init();
    if (!out || backend >= g_nbackends)
        return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "backend index %zu is out of range", backend);
    ensure_loaded(backend);
    const sq_backend *b = &g_backends[backend];
    if (!available(b))
        return sq_error(SEQRT_ERR_UNAVAILABLE, "backend '%s' is unavailable: %s", b->name, b->reason);
    if (device >= b->ndevices)
        return sq_error(SEQRT_ERR_UNAVAILABLE, "backend '%s' has %zu device(s); there is no device %zu", b->name,
                        b->ndevices, device);
    *out = &b->devices[device];
    return SEQRT_OK;
}

seqrt_status seqrt_device_get_info(const seqrt_device *d, seqrt_device_info *out)
{
    if (!d || !out) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_device_get_info: NULL argument");
    out->backend = d->backend->name;
    out->index = d->index;
    out->name = d->name;
    out->description = d->description;
    out->vendor = d->vendor;
    out->driver = d->driver;
    out->compute_units = d->compute_units;
    out->memory_bytes = d->memory_bytes;
    return SEQRT_OK;
}

/* The names of every backend, loading none ("reference, onednn, opencl"):
 * an unknown name needs no module. (Loading one in a short-lived thread is
 * also what a module may not expect: PoCL's LLVM gives the loading thread
 * its own signal stack.) */
static void list_names(char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < g_nbackends; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", i ? ", " : "", g_backends[i].name);
    }
}

/* Every backend, loading all of them: for messages and "auto". */
static void list_backends(char *buf, size_t n)
{
    ensure_all_loaded();
    buf[0] = '\0';
    for (size_t i = 0; i < g_nbackends; i++) {
        const sq_backend *b = &g_backends[i];
        size_t used = strlen(buf);
        if (available(b))
            snprintf(buf + used, n - used, "%s%s (%zu device%s)", i ? ", " : "", b->name, b->ndevices,
                     b->ndevices == 1 ? "" : "s");
        else
            snprintf(buf + used, n - used, "%s%s (unavailable: %s)", i ? ", " : "", b->name, b->reason);
    }
}

/* auto: the first GPU device of an available backend; else the first
 * device of the available backend with the highest priority (the backend
 * states it; ties go to registry order). The extra modules of
 * $SEQRT_EXTRA_BACKENDS (test backends) are never chosen. Logs what it
 * chose and why. */
static seqrt_status pick_auto(const seqrt_device **out)
{
    ensure_all_loaded();
    for (size_t i = 0; i < SQ_NBUILTIN; i++) {
        const sq_backend *b = &g_backends[i];
        if (!available(b)) continue;
        for (size_t d = 0; d < b->ndevices; d++)
            if (b->devices[d].is_gpu) {
                sq_log(SQ_LOG_INFO, "backend auto: chose %s:%zu (%s), a GPU", b->name, d, b->devices[d].name);
                *out = &b->devices[d];
                return SEQRT_OK;
            }
    }
    const sq_backend *best = &g_backends[0]; /* the reference is always available */
    for (size_t i = 1; i < SQ_NBUILTIN; i++)
        if (available(&g_backends[i]) && g_backends[i].priority > best->priority) best = &g_backends[i];
    char list[2048];
    list_backends(list, sizeof list);
    sq_log(SQ_LOG_INFO, "backend auto: chose %s:0 (%s): no GPU device, highest priority (%d) of: %s", best->name,
           best->devices[0].name, best->priority, list);
    *out = &best->devices[0];
    return SEQRT_OK;
}

seqrt_status seqrt_device_find(const seqrt_device **out, const char *spec)
{
    ensure_init();
    if (!out) return sq_error(SEQRT_ERR_INVALID_ARGUMENT, "seqrt_device_find: NULL out");
    *out = NULL;
    const char *from = "argument";
    if (!spec || !*spec) {
        spec = getenv("SEQRT_BACKEND");
        from = "SEQRT_BACKEND";
        if (!spec || !*spec) spec = "auto", from = "default";
    }
    char name[64], list[2048];
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (nlen >= sizeof name) {
        list_names(list, sizeof list);
        return sq_error(SEQRT_ERR_UNAVAILABLE, "unknown backend '%s' (%s); backends: auto, %s", spec, from, list);
    }
    memcpy(name, spec, nlen);
    name[nlen] = '\0';
    long index = 0;
    if (colon) {
        char *end;
        index = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || index < 0)
            return sq_error(SEQRT_ERR_UNAVAILABLE, "backend '%s' (%s): device index '%s' is not a number >= 0",
                            spec, from, colon + 1);
    }
    if (!strcmp(name, "auto")) {
        if (colon)
            return sq_error(SEQRT_ERR_UNAVAILABLE, "backend '%s' (%s): 'auto' takes no device index", spec, from);
        return pick_auto(out);
    }
    for (size_t i = 0; i < g_nbackends; i++) {
        const sq_backend *b = &g_backends[i];
        if (strcmp(b->name, name)) continue;
        ensure_loaded(i);
        if (!available(b)) {
            list_backends(list, sizeof list);
            return sq_error(SEQRT_ERR_UNAVAILABLE, "backend '%s' (%s) is unavailable: %s; available: %s", name,
                            from, b->reason, list);
        }
        if ((size_t)index >= b->ndevices)
            return sq_error(SEQRT_ERR_UNAVAILABLE, "backend '%s' (%s) has %zu device(s); there is no device %ld",
                            name, from, b->ndevices, index);
        *out = &b->devices[index];
        sq_log(SQ_LOG_INFO, "backend: %s:%ld (%s), from %s", name, index, b->devices[index].name, from);
        return SEQRT_OK;
    }
    list_names(list, sizeof list);
    return sq_error(SEQRT_ERR_UNAVAILABLE, "unknown backend '%s' (%s); backends: auto, %s", name, from, list);
}
