/* The README's C API example: load a model, run it on a .npy input, read an output. */
#include <stdio.h>
#include <seqrt.h>

int main(int argc, char **argv) {
    const char *model_path = argc > 1 ? argv[1] : "examples/charlm/charlm.json";
    const char *input_path = argc > 2 ? argv[2] : "examples/charlm/prompt.npy";
    seqrt_model *model; seqrt_session *session; seqrt_tensor *tokens;
    if (seqrt_model_load(&model, model_path, NULL) ||
        seqrt_tensor_load_npy(&tokens, input_path) ||
        seqrt_session_create(&session, model, NULL /* $SEQRT_BACKEND */, NULL)) {
        fprintf(stderr, "error: %s\n", seqrt_last_error());
        return 1;
    }
    const seqrt_tensor *inputs[] = {tokens}, *probs;
    if (seqrt_session_run(session, inputs, 1) || seqrt_session_output(session, 0, &probs)) {
        fprintf(stderr, "error: %s\n", seqrt_last_error());
        return 1;
    }
    /* probs is [T, 1, V]: after the last step, the distribution of the next token */
    int64_t V = seqrt_tensor_dim(probs, 2), best = 0;
    const float *last = (const float *)seqrt_tensor_data(probs) + seqrt_tensor_count(probs) - V;
    for (int64_t v = 1; v < V; v++) if (last[v] > last[best]) best = v;
    printf("%s: next token %lld (p = %.3f)\n", seqrt_model_output_name(model, 0), (long long)best, last[best]);
    seqrt_session_free(session); seqrt_tensor_free(tokens); seqrt_model_free(model);
    return 0;
}
