/*
 * seqrt-bench: the progress bar, drawn on stderr while the cases run, and
 * only when stderr is a terminal.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

static int g_progress_tty = -1;
static int g_progress_drawn;

void bench_progress(int done, int total, const char *what)
{
    if (g_progress_tty < 0) g_progress_tty = isatty(2);
    if (!g_progress_tty) return;
    const int width = 30;
    int fill = total > 0 ? done * width / total : 0;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] %3d%% %d/%d %.60s", bar, total ? 100 * done / total : 100, done, total, what);
    fflush(stderr);
    g_progress_drawn = 1;
}

void bench_progress_end(void)
{
    if (g_progress_drawn) fprintf(stderr, "\r\033[K");
    g_progress_drawn = 0;
}

