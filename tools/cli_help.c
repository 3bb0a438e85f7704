/*
 * seqrt command-line program: the usage text of every command (`seqrt
 * --help`, `seqrt help COMMAND`, `seqrt COMMAND --help`) and the environment
 * section they share. It prints text only and calls no other part of the
 * program, so the dispatcher (seqrt.c) and the commands (cli_*.c) both call
 * it without calling each other back.
 */
#include "cli.h"

void cli_help_environment(FILE *f)
{
    fputs("environment:\n"
          "  SEQRT_BACKEND        backend used when --backend is not given: reference,\n"
          "                       onednn, opencl or auto (default), optionally with :N\n"
          "                       for device N (e.g. opencl:1). auto = an OpenCL GPU if\n"
          "                       present, else oneDNN, else reference. An unknown or\n"
          "                       unavailable name is an error, never a silent fallback.\n"
          "  SEQRT_BACKEND_PATH   directory holding the backend modules (default: beside\n"
          "                       libseqrt)\n"
          "  SEQRT_OPENCL_VENDOR  force the OpenCL vendor profile: amd, intel, nvidia,\n"
          "                       generic\n"
          "  SEQRT_LOG            what the library prints on stderr: error (default),\n"
          "                       warn, info (which backend and device it chose, and why),\n"
          "                       debug\n",
          f);
}

void cli_help_main(FILE *f)
{
    fputs("usage: seqrt <command> [options]\n"
          "\n"
          "Runs LSTM/attention models in seqrt's format (a JSON description and its\n"
          "safetensors weights) on the reference, oneDNN or OpenCL backend. Inputs and\n"
          "outputs are NumPy .npy files.\n"
          "\n"
          "commands:\n"
          "  run MODEL.json --input NAME=FILE.npy ... [--output-dir DIR] [--backend B]\n"
          "                 [--chunk N] [--strict] [--weights FILE] [--verbose]\n"
          "                      run a model; write each output to DIR/<value>.npy\n"
          "  info MODEL.json [--strict] [--weights FILE]\n"
          "                      describe a model: inputs, layers, shapes, parameter\n"
          "                      count, FLOPs per step, outputs, whether it can stream\n"
          "  generate MODEL.json [--prompt TEXT] [--tokens N] [--temperature X] [--seed S]\n"
          "                      sample text from a language model one token at a time\n"
          "                      (streaming session; vocabulary from metadata.vocab)\n"
          "  classify MODEL.json [--text TEXT ...]\n"
          "                      label each text (or each line of stdin) with a\n"
          "                      classifier; print every label's probability\n"
          "  quantize MODEL.json --to int8|bf16|f16 -o OUT.json\n"
          "                      convert an f32 model to format 1.2's int8-dynamic,\n"
          "                      bf16 or f16; report the size and the error it adds\n"
          "  backends            list every backend and device, available or why not\n"
          "  help [COMMAND]      show this help, or a command's\n"
          "\n"
          "options:\n"
          "  -h, --help          show this help\n"
          "  --version           show the version\n"
          "\n",
          f);
    cli_help_environment(f);
    fputs("\n"
          "Exit status: 0 on success, 1 when a model, file or run fails, 2 for a bad\n"
          "command line. Errors are one line on stderr: \"seqrt: error: ...\".\n",
          f);
}

void cli_help_run(FILE *f)
{
    fputs("usage: seqrt run MODEL.json --input NAME=FILE.npy ... [options]\n"
          "\n"
          "Runs the model on the given inputs and writes each value listed in the\n"
          "model's \"outputs\" to DIR/<value>.npy, with ':' replaced by '.' (e.g.\n"
          "rnn:h_n -> rnn.h_n.npy). Outputs are written all or nothing: a failed run\n"
          "leaves no output file.\n"
          "\n"
          "options:\n"
          "  --input NAME=FILE.npy  the model input NAME (every input, once each);\n"
          "                         .npy C order, <f4, or <i4/<i8 for ids and lengths\n"
          "  --output-dir DIR       existing directory for the outputs (default: .)\n"
          "  --backend B            reference, onednn, opencl or auto, optionally :N\n"
          "                         for device N (default: $SEQRT_BACKEND, else auto)\n"
          "  --chunk N              run the time axis in chunks of N steps through one\n"
          "                         streaming session, carrying the recurrent state;\n"
          "                         writes the same outputs as a whole run. Only for\n"
          "                         streamable models (see 'seqrt info')\n"
          "  --strict               a weight tensor no layer uses is an error\n"
          "  --weights FILE         weights to use instead of the description's\n"
          "  --verbose              report the device and each output on stderr\n"
          "  -h, --help             show this help\n"
          "\n",
          f);
    cli_help_environment(f);
}

void cli_help_info(FILE *f)
{
    fputs("usage: seqrt info MODEL.json [options]\n"
          "\n"
          "Loads and validates the model (description and weights) and describes it:\n"
          "its inputs, a table of its layers (name, op, main output shape, parameters,\n"
          "FLOPs per time step and batch entry), every attribute of every layer (those\n"
          "left at their default marked so; a recurrent layer given 'activations' also\n"
          "shows its gate functions per direction), the totals, its outputs and the files\n"
          "'seqrt run' writes them to, and whether it can run with --chunk (and if\n"
          "not, which layer prevents it).\n"
          "\n"
          "options:\n"
          "  --strict         a weight tensor no layer uses is an error\n"
          "  --weights FILE   weights to use instead of the description's\n"
          "  -h, --help       show this help\n"
          "\n",
          f);
    cli_help_environment(f);
}

void cli_help_generate(FILE *f)
{
    fputs("usage: seqrt generate MODEL.json [--prompt TEXT] [--tokens N] [--temperature X]\n"
          "                      [--seed S] [--streams N --output-dir DIR] [options]\n"
          "\n"
          "Samples text from a language model, one token per step, through a streaming\n"
          "session: the prompt runs once, then each sampled token is fed back as one\n"
          "step with the recurrent state carried over. Prints the prompt and then each\n"
          "token as it is sampled. The same model, seed and backend give the same text.\n"
          "\n"
          "The model must be streamable (see 'seqrt info'), take one input of token\n"
          "ids ([T, B], or [B, T] when batch_first) and beside it only initial states\n"
          "(float inputs that feed h0/c0, as d2l's RNNModel(inputs, state) exports:\n"
          "zeros on the first step, then the carried state), and have as its first output the\n"
          "next-token distribution ([T, B, V]). Its metadata gives the text of each\n"
          "token id (\"vocab\": [...], V entries) and may say what the output holds\n"
          "(\"output\": \"probs\" or \"logits\"; default: probs when the output layer is a\n"
          "softmax) and a default prompt (\"prompt\").\n"
          "\n"
          "options:\n"
          "  --prompt TEXT        text to start from (default: metadata.prompt, else the\n"
          "                       first vocabulary entry); every character must be in\n"
          "                       the vocabulary\n"
          "  --tokens N           how many tokens to sample (default 200)\n"
          "  --temperature X      divides the logits (log-probabilities) before sampling:\n"
          "                       < 1 is more conservative, > 1 more random; 0 always\n"
          "                       takes the most likely token (default 0.8)\n"
          "  --seed S             seed of the sampler, 0 to 2^64-1 (default 1)\n"
          "  --streams N          sample N independent texts at once through one stream\n"
          "                       pool (docs/streams.md): stream i is seeded S+i and\n"
          "                       written to DIR/stream-<i>.txt, exactly what --seed S+i\n"
          "                       alone prints; aggregate tokens/s on stderr; no file is\n"
          "                       written unless every stream succeeds\n"
          "  --output-dir DIR     the existing directory of --streams' files\n"
          "  --backend B          reference, onednn, opencl or auto, optionally :N\n"
          "                       (default: $SEQRT_BACKEND, else auto)\n"
          "  --strict             a weight tensor no layer uses is an error\n"
          "  --weights FILE       weights to use instead of the description's\n"
          "  --verbose            report the device and the speed on stderr\n"
          "  -h, --help           show this help\n"
          "\n",
          f);
    cli_help_environment(f);
}

void cli_help_classify(FILE *f)
{
    fputs("usage: seqrt classify MODEL.json [--text TEXT ...] [options]\n"
          "\n"
          "Classifies each --text, or, without --text, each non-empty line of standard\n"
          "input: prints the text, the most likely label and the probability of every\n"
          "label (most likely first), or with --brief one line per text:\n"
          "LABEL<tab>PROBABILITY<tab>TEXT.\n"
          "\n"
          "The model takes the token ids of one text ([T, B] int32, or [B, T] when\n"
          "batch_first) and optionally their lengths ([B] int32); its first output is\n"
          "[B, C]. Its metadata gives the text of each token id (\"vocab\"), the name of\n"
          "each class (\"labels\", C entries), and optionally the id for characters not\n"
          "in the vocabulary (\"unk\"), \"normalize\": \"whitespace\" (trim the text and\n"
          "fold runs of blanks into one space) and what the output holds (\"output\":\n"
          "\"probs\" or \"logits\"; default: probs when the output layer is a softmax).\n"
          "\n"
          "options:\n"
          "  --text TEXT        a text to classify (may be repeated)\n"
          "  --brief            one line per text\n"
          "  --top K            list only the K most likely labels\n"
          "  --backend B        reference, onednn, opencl or auto, optionally :N\n"
          "                     (default: $SEQRT_BACKEND, else auto)\n"
          "  --strict           a weight tensor no layer uses is an error\n"
          "  --weights FILE     weights to use instead of the description's\n"
          "  --verbose          report the device on stderr\n"
          "  -h, --help         show this help\n"
          "\n",
          f);
    cli_help_environment(f);
}

void cli_help_quantize(FILE *f)
{
    fputs("usage: seqrt quantize MODEL.json --to int8|bf16|f16 -o OUT.json [--rule qnnpack|onednn]\n"
          "                      [--per-tensor] [--seed N] [--device D]\n"
          "\n"
          "Converts an f32 model to a format 1.2 precision (docs/model-format/quantization.md)\n"
          "and writes OUT.json with its weights OUT.safetensors (never a partial file):\n"
          "--to int8: every linear, lstm and gru layer computes int8-dynamic, its weight\n"
          "matrices stored as int8 codes with one scale per output row (--per-tensor: one\n"
          "per matrix), as PyTorch's quantize_dynamic stores them; a form int8-dynamic\n"
          "cannot take (peephole, projection, ...) and every other op stay f32, said on\n"
          "stderr. --rule names the int8 equations (default qnnpack). --to bf16 / f16:\n"
          "every weight kept in that type, rounded to nearest even. Then runs both models\n"
          "on the same random inputs (--seed, on --device, default reference) and prints\n"
          "the sizes of the weights and the largest difference of every output.\n"
          "\n"
          "The conversion is the Python package's (python3 -m seqrt.quantize, the same\n"
          "arguments): it needs Python 3 with NumPy ($SEQRT_PYTHON, else /usr/bin/python3)\n"
          "and the seqrt package (installed beside this program, or $SEQRT_PYTHONPATH).\n"
          "\n",
          f);
}

void cli_help_backends(FILE *f)
{
    fputs("usage: seqrt backends\n"
          "\n"
          "Lists every backend (reference, onednn, opencl): whether it is available or\n"
          "why not, and the module it comes from; then every device, named as\n"
          "BACKEND:INDEX (the value --backend and SEQRT_BACKEND take), with its\n"
          "description, vendor, driver, compute units and memory.\n"
          "\n",
          f);
    cli_help_environment(f);
}
