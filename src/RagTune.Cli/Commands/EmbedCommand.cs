// `ragtune embed --model DIR TEXT…`: embeds each text with a local BERT/XLM-R checkpoint (its own pooling) and prints JSON.
using System.CommandLine;
using System.Text.Json;
using RagTune.Engine.Models;

namespace RagTune.Cli.Commands;

public static class EmbedCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Encoder checkpoint folder (BertModel or XLMRobertaModel)", Required = true };
        var texts = new Argument<string[]>("text") { Description = "Texts to embed", Arity = ArgumentArity.OneOrMore };
        var command = new Command("embed", "Embed texts with a local encoder checkpoint; prints JSON") { model, texts };
        command.SetAction((parse, cancellationToken) =>
        {
            var embedder = TextEmbedder.Load(parse.GetValue(model)!);
            var data = new List<object>();
            foreach (string text in parse.GetValue(texts)!)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[] ids = embedder.Tokenize(text);
                data.Add(new { text, tokens = ids.Length, embedding = embedder.Encoder.Embed(ids) });
            }
            var pooling = embedder.Encoder.Pooling;
            var output = new
            {
                model = Path.GetFullPath(parse.GetValue(model)!),
                architecture = embedder.Encoder.Config.Architecture,
                dimensions = embedder.Dimensions,
                pooling = pooling.Mode.ToString().ToLowerInvariant(),
                normalized = pooling.Normalize,
                data,
            };
            Console.Out.WriteLine(JsonSerializer.Serialize(output, new JsonSerializerOptions { WriteIndented = true }));
            return Task.FromResult(0);
        });
        return command;
    }
}
