// POST /v1/embeddings: a string or an array of strings in, OpenAI's list of embeddings out (float arrays, or base64 of
// little-endian float32 when encoding_format is "base64", which is what the official SDKs ask for).
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RagTune.Server.Configuration;
using RagTune.Server.Models;

namespace RagTune.Server.Api;

public static class EmbeddingsEndpoint
{
    private const int MaxInputs = 2048;

    public static async Task HandleAsync(HttpContext http, ModelRegistry registry, ServerOptions options)
    {
        var ct = http.RequestAborted;
        using var body = await ChatCompletionsEndpoint.ReadJsonAsync(http, ct).ConfigureAwait(false);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("the request body must be a JSON object");
        string? model = ChatCompletionRequest.OptionalString(root, "model");
        var (generator, gate) = registry.GetEmbedding(model);
        var inputs = new List<string>();
        if (!root.TryGetProperty("input", out var input)) throw ApiException.BadRequest("'input' is required", "input");
        if (input.ValueKind == JsonValueKind.String) inputs.Add(input.GetString()!);
        else if (input.ValueKind == JsonValueKind.Array && input.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String))
            inputs.AddRange(input.EnumerateArray().Select(x => x.GetString()!));
        else throw ApiException.BadRequest("'input' must be a string or an array of strings (token arrays are not accepted)", "input");
        if (inputs.Count == 0 || inputs.Count > MaxInputs) throw ApiException.BadRequest($"'input' holds {inputs.Count} items; expected 1..{MaxInputs}", "input");
        if (inputs.Any(s => s.Length == 0)) throw ApiException.BadRequest("'input' must not contain empty strings", "input");
        long chars = inputs.Sum(s => (long)s.Length);
        if (chars > options.MaxPromptChars * 4L) throw ApiException.BadRequest($"'input' holds {chars} characters; expected at most {options.MaxPromptChars * 4L}", "input");
        string format = ChatCompletionRequest.OptionalString(root, "encoding_format") ?? "float";
        if (format is not ("float" or "base64")) throw ApiException.BadRequest($"encoding_format '{format}' is not supported; expected float or base64", "encoding_format");

        Microsoft.Extensions.AI.GeneratedEmbeddings<Microsoft.Extensions.AI.Embedding<float>> result;
        using (await gate.EnterAsync(ct).ConfigureAwait(false))
            result = await generator.GenerateAsync(inputs, null, ct).ConfigureAwait(false);
        if (root.TryGetProperty("dimensions", out var dims) && dims.ValueKind == JsonValueKind.Number && dims.GetInt32() != result[0].Vector.Length)
            throw ApiException.BadRequest($"dimensions is {dims.GetInt32()}; model '{model}' produces {result[0].Vector.Length} and cannot shorten", "dimensions");

        int tokens = (int)(result.Usage?.InputTokenCount ?? 0);
        var data = result.Select((e, i) => new Dictionary<string, object>
        {
            ["object"] = "embedding",
            ["index"] = i,
            ["embedding"] = format == "base64" ? Convert.ToBase64String(MemoryMarshal.AsBytes(e.Vector.Span)) : e.Vector.ToArray(),
        }).ToList();
        await Json.WriteAsync(http, new Dictionary<string, object>
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = model!,
            ["usage"] = new { prompt_tokens = tokens, total_tokens = tokens },
        }).ConfigureAwait(false);
    }
}
