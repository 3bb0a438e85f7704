/*
 * A program outside the seqrt tree, built against an installed seqrt (see
 * CMakeLists.txt here for find_package(seqrt), and the README for
 * pkg-config). It lists the backends, then runs MODEL on INPUT.npy on the
 * default backend ($SEQRT_BACKEND) and prints each output's shape.
 *
 *   consumer MODEL.json INPUT.npy      (a model with one input)
 */
#include <stdio.h>
#include <seqrt.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: consumer MODEL.json INPUT.npy\n");
        return 2;
    }
    printf("seqrt %s\n", seqrt_version());
    for (size_t b = 0; b < seqrt_backend_count(); b++) {
        seqrt_backend_info info;
        if (seqrt_backend_get_info(b, &info) == SEQRT_OK)
            printf("backend %s: %s%s\n", info.name, info.available ? "available" : "unavailable: ",
                   info.available ? "" : info.reason);
    }
    seqrt_model *model = NULL;
    seqrt_tensor *input = NULL;
    seqrt_session *session = NULL;
    int rc = 1;
    if (seqrt_model_load(&model, argv[1], NULL) || seqrt_tensor_load_npy(&input, argv[2]) ||
        seqrt_session_create(&session, model, NULL, NULL)) {
        fprintf(stderr, "consumer: error: %s\n", seqrt_last_error());
        goto done;
    }
    const seqrt_tensor *inputs[] = {input};
    if (seqrt_session_run(session, inputs, 1)) {
        fprintf(stderr, "consumer: error: %s\n", seqrt_last_error());
        goto done;
    }
    seqrt_device_info dev;
    seqrt_device_get_info(seqrt_session_device(session), &dev);
    for (size_t i = 0; i < seqrt_model_output_count(model); i++) {
        const seqrt_tensor *out;
        if (seqrt_session_output(session, i, &out)) {
            fprintf(stderr, "consumer: error: %s\n", seqrt_last_error());
            goto done;
        }
        printf("%s:%zu output %s: [", dev.backend, dev.index, seqrt_model_output_name(model, i));
        for (int a = 0; a < seqrt_tensor_rank(out); a++)
            printf("%s%lld", a ? ", " : "", (long long)seqrt_tensor_dim(out, a));
        printf("]\n");
    }
    rc = 0;
done:
    seqrt_session_free(session);
    seqrt_tensor_free(input);
    seqrt_model_free(model);
    return rc;
}
