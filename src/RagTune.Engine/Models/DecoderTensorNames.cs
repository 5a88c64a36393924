// Where a decoder architecture keeps its tensors (candle's per-architecture name table): module paths under the backbone
// prefix for the embedding, each layer's norms and projections and the final norm, and the head's path at the top level.
// Linear names built from these are the module paths PEFT adapter keys use.
namespace RagTune.Engine.Models;

public sealed record DecoderTensorNames
{
    /// <summary>Where the …ForCausalLM keeps its decoder ("model."; GPT-2's "transformer.").</summary>
    public string Backbone { get; init; } = "model.";

    /// <summary>The layer list under the backbone ("layers"; GPT-2's "h").</summary>
    public string Layers { get; init; } = "layers";

    /// <summary>Learned absolute position embeddings under the backbone (GPT-2's "wpe"), or null (RoPE).</summary>
    public string? PositionEmbeddings { get; init; }

    /// <summary>The token embedding, under the backbone prefix (embed_tokens).</summary>
    public required string EmbedTokens { get; init; }

    /// <summary>The norm before attention, under layers.N. (input_layernorm).</summary>
    public required string InputNorm { get; init; }

    /// <summary>The packed q/k/v projection (InternLM2's attention.wqkv), or null when q, k and v are separate.</summary>
    public string? Qkv { get; init; }

    public string? QProj { get; init; }
    public string? KProj { get; init; }
    public string? VProj { get; init; }
    public required string OProj { get; init; }
    public string QNorm { get; init; } = "self_attn.q_norm";
    public string KNorm { get; init; } = "self_attn.k_norm";

    /// <summary>The norm before the MLP (post_attention_layernorm).</summary>
    public required string PostNorm { get; init; }

    /// <summary>The MLP gate (SwiGLU), or null for an ungated MLP (GPT-2's c_fc → gelu → c_proj).</summary>
    public string? GateProj { get; init; }
    public required string UpProj { get; init; }
    public required string DownProj { get; init; }

    /// <summary>The final norm, under the backbone prefix (norm).</summary>
    public required string FinalNorm { get; init; }

    /// <summary>The language-model head at the top level (lm_head).</summary>
    public required string LmHead { get; init; }

    /// <summary>LLaMA, Qwen2 and Qwen3 (modeling_llama.py's names).</summary>
    public static readonly DecoderTensorNames Llama = new()
    {
        EmbedTokens = "embed_tokens", InputNorm = "input_layernorm",
        QProj = "self_attn.q_proj", KProj = "self_attn.k_proj", VProj = "self_attn.v_proj", OProj = "self_attn.o_proj",
        PostNorm = "post_attention_layernorm", GateProj = "mlp.gate_proj", UpProj = "mlp.up_proj", DownProj = "mlp.down_proj",
        FinalNorm = "norm", LmHead = "lm_head",
    };

    /// <summary>The last name part of every projection of a layer, in layer order and once each: what PEFT's target_modules
    /// lists to adapt them all (q_proj … down_proj; wqkv, wo, w1, w3, w2; c_attn, c_proj, c_fc).</summary>
    public IReadOnlyList<string> ProjectionModules =>
        [.. new[] { QProj, KProj, VProj, Qkv, OProj, GateProj, UpProj, DownProj }.OfType<string>()
            .Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct()];
}
