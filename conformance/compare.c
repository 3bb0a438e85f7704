/* The spec's element-wise conformance rule (see compare.h). */
#include <math.h>
#include <string.h>

#include "compare.h"

static int same_class(float a, float b)
{
    if (isnan(b)) return isnan(a);
    if (isinf(b)) return isinf(a) && signbit(a) == signbit(b);
    return isfinite(a);
}

int sq_compare(const float *got, const float *ref, size_t n, double atol, double rtol, sq_compare_result *r)
{
    memset(r, 0, sizeof *r);
    r->count = n;
    double err2 = 0, ref2 = 0;
    for (size_t i = 0; i < n; i++) {
        float g = got[i], e = ref[i];
        int bad;
        if (!isfinite(e) || !isfinite(g)) {
            bad = !same_class(g, e);
            if (bad) r->nonfinite_mismatch++;
        } else {
            double d = fabs((double)g - (double)e);
            if (d > r->max_abs) r->max_abs = d;
            if (e != 0 && d / fabs((double)e) > r->max_rel) r->max_rel = d / fabs((double)e);
            err2 += d * d;
            ref2 += (double)e * (double)e;
            bad = d > atol + rtol * fabs((double)e);
        }
        if (bad) {
            if (!r->failures) {
                r->first_bad = i;
                r->got_bad = g;
                r->ref_bad = e;
            }
            r->failures++;
        }
    }
    r->nmse = ref2 > 0 ? err2 / ref2 : err2;
    return r->failures == 0;
}
