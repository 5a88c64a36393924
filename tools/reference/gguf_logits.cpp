// gguf_logits.cpp -- dumps llama.cpp's own view of a GGUF model for RagTune's GGUF fixtures: the prompt's token ids
// (llama_tokenize with BOS/special parsing, as `llama-simple` does), the logits at every prompt position (one prefill
// batch), then N greedy steps (argmax, fed back one token at a time) with each step's logits. K/V cache in F32 so the
// only differences from an exact forward are llama.cpp's own (activations rounded to q8 for quantised matmuls).
// build: g++ -O2 -std=c++17 gguf_logits.cpp -I$LLAMA/src/include -I$LLAMA/src/ggml/include -L$LLAMA/build/bin -lllama -lggml -lggml-base
// usage: gguf_logits MODEL.gguf N_PREDICT "PROMPT" > out.json
//        gguf_logits quantize IN.gguf OUT.gguf TYPE   (TYPE Q8_0, Q4_0, Q4_1, Q4_K_M, Q5_K_M, F16, BF16: llama_model_quantize with
//        llama-quantize's defaults, the function that tool calls)
#include "llama.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static void print_floats(const float * x, int n) {
    printf("[");
    for (int i = 0; i < n; i++) printf(i ? ",%.7g" : "%.7g", x[i]);
    printf("]");
}

static int quantize(const char * in, const char * out, const std::string & type) {
    llama_model_quantize_params params = llama_model_quantize_default_params();
    params.nthread = 2;
    if (type == "Q8_0") params.ftype = LLAMA_FTYPE_MOSTLY_Q8_0;
    else if (type == "Q4_0") params.ftype = LLAMA_FTYPE_MOSTLY_Q4_0;
    else if (type == "Q4_1") params.ftype = LLAMA_FTYPE_MOSTLY_Q4_1;
    else if (type == "Q4_K_M") params.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M;
    else if (type == "Q5_K_M") params.ftype = LLAMA_FTYPE_MOSTLY_Q5_K_M;
    else if (type == "F16") params.ftype = LLAMA_FTYPE_MOSTLY_F16;
    else if (type == "BF16") params.ftype = LLAMA_FTYPE_MOSTLY_BF16;
    else if (type == "F32") { params.ftype = LLAMA_FTYPE_ALL_F32; params.allow_requantize = true; }   // dequantise
    else { fprintf(stderr, "unknown type %s\n", type.c_str()); return 2; }
    return llama_model_quantize(in, out, &params) == 0 ? 0 : 1;
}

int main(int argc, char ** argv) {
    if (argc == 5 && strcmp(argv[1], "quantize") == 0) return quantize(argv[2], argv[3], argv[4]);
    if (argc != 4) { fprintf(stderr, "usage: %s MODEL.gguf N_PREDICT PROMPT\n", argv[0]); return 2; }
    const std::string prompt = argv[3];
    const int n_predict = atoi(argv[2]);
    ggml_backend_load_all();
    llama_model * model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    const int n_prompt = -llama_tokenize(vocab, prompt.c_str(), prompt.size(), NULL, 0, true, true);
    std::vector<llama_token> ids(n_prompt);
    llama_tokenize(vocab, prompt.c_str(), prompt.size(), ids.data(), ids.size(), true, true);

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_prompt + n_predict + 1;
    cp.n_batch = n_prompt;
    cp.n_threads = cp.n_threads_batch = 2;
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }

    llama_batch batch = llama_batch_init(n_prompt, 0, 1);
    for (int i = 0; i < n_prompt; i++) {
        batch.token[i] = ids[i]; batch.pos[i] = i; batch.n_seq_id[i] = 1; batch.seq_id[i][0] = 0; batch.logits[i] = true;
    }
    batch.n_tokens = n_prompt;
    if (llama_decode(ctx, batch)) { fprintf(stderr, "prefill failed\n"); return 1; }

    const char * base = strrchr(argv[1], '/');
    printf("{\"model\":\"%s\",\"prompt\":\"", base ? base + 1 : argv[1]);
    for (char c : prompt) {
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if ((unsigned char) c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    printf("\",\"vocab_size\":%d,\"prompt_ids\":[", n_vocab);
    for (int i = 0; i < n_prompt; i++) printf(i ? ",%d" : "%d", ids[i]);
    printf("],\"prompt_logits\":[");
    for (int i = 0; i < n_prompt; i++) { if (i) printf(","); print_floats(llama_get_logits_ith(ctx, i), n_vocab); }
    printf("],\"greedy_ids\":[");
    std::vector<std::vector<float>> steps;
    const float * logits = llama_get_logits_ith(ctx, n_prompt - 1);
    for (int s = 0; s < n_predict; s++) {
        int best = 0;
        for (int v = 1; v < n_vocab; v++) if (logits[v] > logits[best]) best = v;
        printf(s ? ",%d" : "%d", best);
        llama_token t = best;
        if (llama_decode(ctx, llama_batch_get_one(&t, 1))) { fprintf(stderr, "decode failed\n"); return 1; }
        logits = llama_get_logits_ith(ctx, -1);
        steps.emplace_back(logits, logits + n_vocab);
    }
    printf("],\"decode_logits\":[");
    for (size_t s = 0; s < steps.size(); s++) { if (s) printf(","); print_floats(steps[s].data(), n_vocab); }
    printf("]}\n");
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
