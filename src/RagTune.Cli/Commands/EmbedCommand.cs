// `ragtune embed --model DIR TEXT…`: embeds each text with a local checkpoint — a BERT/XLM-R encoder or a decoder
// embedder (gte-Qwen2, Qwen3-Embedding), optionally with a LoRA adapter merged in — with its own pooling, and prints JSON.
// Texts longer than --max-length are cut (keeping the final special token) with one warning saying how many.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Training;

namespace RagTune.Cli.Commands;

public static class EmbedCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = "Embedding checkpoint folder (BertModel/XLMRobertaModel, a Qwen2/Qwen3/LLaMA decoder embedder, or a `train embed --lora` adapter folder)",
            Required = true,
        };
        var adapter = new Option<string?>("--adapter") { Description = "LoRA adapter folder (from `train embed --lora` / `train lsr --lora`) merged into the model at load" };
        var maxLength = new Option<int?>("--max-length") { Description = "Most tokens per text, special tokens included; longer texts are cut (default: the model's positions, or the tokenizer's model_max_length if smaller)" };
        var texts = new Argument<string[]>("text") { Description = "Texts to embed", Arity = ArgumentArity.OneOrMore };
        var command = new Command("embed", "Embed texts with a local embedding model; prints JSON") { model, adapter, maxLength, texts };
        command.SetAction((parse, cancellationToken) =>
        {
            string folder = parse.GetValue(model)!;
            using var embedder = EmbeddingModels.LoadEmbedder(folder, new TextEmbedderOptions
            {
                MaxLength = parse.GetValue(maxLength), AdapterDirectory = parse.GetValue(adapter),
            });
            if (embedder.Model is DecoderEmbedder { PoolingDeclared: false })
                Console.Error.WriteLine($"note: {folder} has no {Pooling.ModulesFileName}; pooling the last token with L2 normalisation (the decoder-embedder default)");
            var data = new List<object>();
            int cut = 0;
            foreach (string text in parse.GetValue(texts)!)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[] ids = embedder.Tokenize(text, out bool truncated);
                if (truncated) cut++;
                data.Add(new { text, tokens = ids.Length, truncated, embedding = embedder.Model.Embed(ids) });
            }
            if (cut > 0)
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"warning: {cut} of {data.Count} inputs exceeded {embedder.MaxLength} tokens and were truncated (--max-length)"));
            var pooling = embedder.Model.Pooling;
            var output = new
            {
                model = Path.GetFullPath(folder),
                architecture = embedder.Model.Config.Architecture,
                dimensions = embedder.Dimensions,
                pooling = pooling.Mode.ToString().ToLowerInvariant(),
                normalized = pooling.Normalize,
                max_length = embedder.MaxLength,
                data,
            };
            Console.Out.WriteLine(JsonSerializer.Serialize(output, new JsonSerializerOptions { WriteIndented = true }));
            return Task.FromResult(0);
        });
        return command;
    }
}
