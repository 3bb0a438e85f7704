/*
 * The RNN primitive's thread-count choice (dnnl_pace.c), as a decision over
 * given timings (nothing here depends on how fast anything runs): the
 * first execution takes the full count and the next probes one thread; a
 * quiet machine keeps the full count and probes less and less often (1 s
 * doubling to 16 s); a loaded one switches to one thread when the probe
 * wins, or at once when the count in use gets clearly slower than the
 * other's last figure (a 25 % margin against noise); a winning probe of the
 * full count gives it back.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dnnl_pace.h"

#define S 1000000000LL

static dn_pace fresh(void)
{
    dn_pace p;
    memset(&p, 0, sizeof p);
    return p;
}

Test(pace, first_full_then_probe_one)
{
    dn_pace p = fresh();
    cr_assert_eq(dn_pace_pick(&p, 5 * S), 0, "the first execution takes the full count");
    dn_pace_record(&p, 0, 1.0, 5 * S);
    cr_assert_eq(dn_pace_pick(&p, 5 * S), 1, "the next execution probes one thread");
}

Test(pace, quiet_machine_keeps_full_and_backs_off)
{
    dn_pace p = fresh();
    int64_t t = 0;
    dn_pace_record(&p, 0, 1.0, t);
    int64_t expect_wait = 2 * S;
    for (int probe = 0; probe < 8; probe++) {
        cr_assert_eq(dn_pace_pick(&p, t), 1, "probe %d due", probe);
        dn_pace_record(&p, 1, 1.9, t); /* one thread loses */
        cr_assert_eq(p.cur, 0);
        cr_assert_eq(dn_pace_pick(&p, t + expect_wait - 1), 0, "no probe before the back-off (%d)", probe);
        t += expect_wait;
        dn_pace_record(&p, 0, 1.0, t);
        expect_wait = expect_wait * 2 > DN_PACE_MAX_NS ? DN_PACE_MAX_NS : expect_wait * 2;
    }
    cr_assert_eq(p.backoff, DN_PACE_MAX_NS, "the back-off stops at 16 s");
}

Test(pace, loaded_machine_switches_and_recovers)
{
    dn_pace p = fresh();
    dn_pace_record(&p, 0, 30.0, 0); /* a barrier per step on a busy machine */
    cr_assert_eq(dn_pace_pick(&p, 0), 1);
    dn_pace_record(&p, 1, 3.0, 0);
    cr_assert_eq(p.cur, 1, "the probe won");
    cr_assert_eq(dn_pace_pick(&p, S / 2), 1, "one thread until the next probe");
    cr_assert_eq(dn_pace_pick(&p, S), 0, "the full count probed again after 1 s");
    dn_pace_record(&p, 0, 1.0, S); /* the machine is quiet again */
    cr_assert_eq(p.cur, 0, "the full count is back");
}

Test(pace, count_in_use_slowing_switches_with_margin)
{
    dn_pace p = fresh();
    dn_pace_record(&p, 0, 1.0, 0);
    dn_pace_record(&p, 1, 1.8, 0); /* probe lost */
    dn_pace_record(&p, 0, 2.2, S / 10); /* within 25 % of 1.8: noise */
    cr_assert_eq(p.cur, 0);
    dn_pace_record(&p, 0, 2.3, S / 5); /* clearly slower than one thread */
    cr_assert_eq(p.cur, 1, "switched to one thread");
    cr_assert_eq(dn_pace_pick(&p, S / 5 + S), 0, "and probes the full count after 1 s");
}
