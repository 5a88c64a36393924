// Where a decoder architecture keeps its tensors (candle's per-architecture name table): module paths under the backbone
// prefix for the embedding, each layer's norms and projections and the final norm, and the head's path at the top level.
// Linear names built from these are the module paths PEFT adapter keys use.
namespace RagTune.Engine.Models;

public sealed record DecoderTensorNames
{
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

    public required string GateProj { get; init; }
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

    /// <summary>The last name part of every projection of a layer, in layer order: what PEFT's target_modules lists to
    /// adapt them all (q_proj … down_proj; wqkv, wo, w1, w3, w2).</summary>
    public IReadOnlyList<string> ProjectionModules =>
        [.. (Qkv is null ? new[] { QProj!, KProj!, VProj! } : [Qkv]).Concat([OProj, GateProj, UpProj, DownProj])
            .Select(n => n[(n.LastIndexOf('.') + 1)..])];
}
