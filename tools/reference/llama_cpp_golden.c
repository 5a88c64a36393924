// llama.cpp's side of the GGUF export golden data, through libllama's public API only (built from node-llama-cpp@3.22.1's
// source, as bench/run-engine.sh builds it). Compiled and run by tools/reference/gguf_export_llamacpp.py.
//   llama_cpp_golden logits MODEL.gguf PROMPT OUT_LOGITS.f32 OUT_TOKENS.i32
//       loads the file, tokenises PROMPT as llama-cli does (the vocabulary's add_bos, special tokens not parsed), decodes it
//       in one batch with a float32 KV cache and writes the last token's logits and the token ids (little-endian).
//   llama_cpp_golden quantize IN.gguf OUT.gguf FTYPE
//       llama_model_quantize with the default parameters — what `llama-quantize IN OUT TYPE` does — for FTYPE a
//       llama_ftype number (1 F16, 7 Q8_0, 15 Q4_K_M).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"
#include "ggml-backend.h"

static int write_file(const char * path, const void * data, size_t bytes) {
    FILE * f = fopen(path, "wb");
    if (!f || fwrite(data, 1, bytes, f) != bytes) { fprintf(stderr, "cannot write %s\n", path); return 1; }
    fclose(f);
    return 0;
}

static int logits(const char * model_path, const char * prompt, const char * out_logits, const char * out_tokens) {
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model * model = llama_model_load_from_file(model_path, mp);
    if (!model) { fprintf(stderr, "llama.cpp could not load %s\n", model_path); return 1; }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    llama_token tokens[1024];
    int n = llama_tokenize(vocab, prompt, (int32_t)strlen(prompt), tokens, 1024, llama_vocab_get_add_bos(vocab), false);
    if (n <= 0) { fprintf(stderr, "tokenisation failed (%d)\n", n); return 1; }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256;
    cp.n_batch = 256;
    cp.n_threads = 1;
    cp.n_threads_batch = 1;
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.no_perf = true;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "no context\n"); return 1; }
    if (llama_decode(ctx, llama_batch_get_one(tokens, n)) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
    const float * last = llama_get_logits_ith(ctx, -1);
    int n_vocab = llama_vocab_n_tokens(vocab);
    int rc = write_file(out_logits, last, sizeof(float) * (size_t)n_vocab) || write_file(out_tokens, tokens, sizeof(llama_token) * (size_t)n);
    llama_free(ctx);
    llama_model_free(model);
    return rc;
}

int main(int argc, char ** argv) {
    ggml_backend_load_all();
    llama_backend_init();
    if (argc == 6 && strcmp(argv[1], "logits") == 0) return logits(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 5 && strcmp(argv[1], "quantize") == 0) {
        struct llama_model_quantize_params qp = llama_model_quantize_default_params();
        qp.ftype = (enum llama_ftype)atoi(argv[4]);
        return llama_model_quantize(argv[2], argv[3], &qp) == 0 ? 0 : 1;
    }
    fprintf(stderr, "usage: %s logits MODEL PROMPT OUT_LOGITS OUT_TOKENS | quantize IN OUT FTYPE\n", argv[0]);
    return 2;
}
