// `ragtune inspect DIR|FILE.gguf`: what a checkpoint folder or GGUF file holds — architecture and shape, parameter count,
// dtypes (GGUF: tensor types), whether every expected tensor is present, and the tokenizer — read from the headers only,
// without loading weights. A tensor whose shape or dtype contradicts config.json (the GGUF metadata) is the loader's own error.
using System.CommandLine;
using System.Globalization;
using RagTune.Engine.Chat;
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tokenizers;

namespace RagTune.Cli.Commands;

public static class InspectCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir") { Description = "Checkpoint folder, or a GGUF file" };
        var command = new Command("inspect", "Describe a checkpoint folder or GGUF file: architecture, parameters, dtypes, tokenizer") { directory };
        command.SetAction((parse, _) =>
        {
            string dir = parse.GetValue(directory)!;
            var gguf = GgufFile.IsGgufFile(dir) ? GgufFile.Read(dir) : null;
            ModelConfig config = gguf is not null ? GgufDecoder.ReadConfig(gguf) : ModelConfig.Load(dir);
            var lines = new List<(string, string)>
            {
                ("architecture", $"{config.Architecture} (model_type {config.ModelType})"),
                ("layers", config.NumHiddenLayers.ToString(CultureInfo.InvariantCulture)),
                ("hidden size", config.HiddenSize.ToString(CultureInfo.InvariantCulture)),
            };
            switch (config)
            {
                case DecoderConfig d:
                    lines.Add(("heads", $"{d.NumAttentionHeads} query, {d.NumKeyValueHeads} key/value, head_dim {d.HeadDim}"));
                    lines.Add(("intermediate size", d.IntermediateSize.ToString(CultureInfo.InvariantCulture)));
                    lines.Add(("rope", string.Create(CultureInfo.InvariantCulture,
                        $"theta {d.RopeTheta}{(d.RopeScaling is { } r ? $", {r.Type} scaling ×{r.Factor}" : "")}")));
                    lines.Add(("lm_head", d.TieWordEmbeddings ? "tied to embed_tokens" : "separate"));
                    break;
                case BertConfig b:
                    lines.Add(("heads", $"{b.NumAttentionHeads}, head_dim {b.HeadDim}"));
                    lines.Add(("intermediate size", b.IntermediateSize.ToString(CultureInfo.InvariantCulture)));
                    var pooling = Pooling.Load(dir);
                    lines.Add(("pooling", pooling.Mode.ToString().ToLowerInvariant() + (pooling.Normalize ? ", L2-normalised" : "")));
                    break;
            }
            lines.Add(("vocabulary", config.VocabSize.ToString(CultureInfo.InvariantCulture)));
            lines.Add(("max positions", config.MaxPositionEmbeddings.ToString(CultureInfo.InvariantCulture)));

            if (gguf is not null) AddGguf(lines, gguf, (DecoderConfig)config);
            else AddCheckpoint(lines, dir, config);

            var tokenizer = Tokenizer.Load(dir);
            lines.Add(("tokenizer", string.Create(CultureInfo.InvariantCulture,
                $"{tokenizer.Kind}, {tokenizer.VocabSize} ids, {tokenizer.AddedTokens.Count} added tokens")));
            lines.Add(("special ids", string.Join(", ", new[] { ("bos", tokenizer.BosId), ("eos", tokenizer.EosId), ("pad", tokenizer.PadId), ("unk", tokenizer.UnkId) }
                .Where(p => p.Item2 is not null).Select(p => $"{p.Item1} {p.Item2} {tokenizer.IdToToken(p.Item2!.Value)}"))));

            // How this machine would run it (the path can differ from one machine to the next: run-time dispatch).
            lines.Add(("kernels", KernelDispatch.Describe()));

            int width = lines.Max(l => l.Item1.Length);
            foreach (var (key, value) in lines)
                Console.Out.WriteLine($"{(key + ":").PadRight(width + 2)}{value}");
            return Task.FromResult(0);
        });
        return command;
    }

    private static void AddCheckpoint(List<(string, string)> lines, string dir, ModelConfig config)
    {
        using (var checkpoint = Checkpoint.Open(dir))
        {
            long parameters = checkpoint.Tensors.Sum(t => t.ElementCount);
            long bytes = checkpoint.Tensors.Sum(t => t.ByteLength);
            var dtypes = checkpoint.Tensors.GroupBy(t => t.DType).OrderByDescending(g => g.Count())
                .Select(g => $"{DTypes.Name(g.Key)} ×{g.Count()}");
            lines.Add(("parameters", string.Create(CultureInfo.InvariantCulture, $"{parameters:N0} ({parameters / 1e6:0.###} M)")));
            lines.Add(("dtypes", string.Join(", ", dtypes) + (config.TorchDtype is { } td ? $" (torch_dtype {td})" : "")));
            lines.Add(("files", string.Create(CultureInfo.InvariantCulture,
                $"{checkpoint.Files.Count} safetensors, {bytes / (1024.0 * 1024):0.##} MiB of tensors")));
            int expected = config.ExpectedTensors().Count;
            string prefix = config is BertConfig ? BertEncoder.CheckpointPrefix(checkpoint) : "";
            var missing = new List<string>();
            foreach (var spec in config.ExpectedTensors())
            {
                if (checkpoint.TryGetInfo(prefix + spec.Name, out var info)) spec.Check(info, prefix + spec.Name);
                else missing.Add(spec.Name);
            }
            lines.Add(("tensors", missing.Count == 0
                ? $"{checkpoint.Tensors.Count} ({expected} expected by {config.Architecture}, all present)"
                : $"{checkpoint.Tensors.Count}; MISSING {missing.Count}: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}"));
        }
    }

    private static void AddGguf(List<(string, string)> lines, GgufFile gguf, DecoderConfig config)
    {
        GgufDecoder.CheckTensors(gguf, config);
        long parameters = gguf.Tensors.Sum(t => (long)t.ElementCount);
        long bytes = gguf.Tensors.Sum(gguf.TensorByteCount);
        var types = gguf.Tensors.GroupBy(t => (GgmlType)t.GgmlType).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} ×{g.Count()}");
        lines.Add(("parameters", string.Create(CultureInfo.InvariantCulture, $"{parameters:N0} ({parameters / 1e6:0.###} M)")));
        lines.Add(("tensor types", string.Join(", ", types)));
        lines.Add(("file", string.Create(CultureInfo.InvariantCulture,
            $"GGUF v{gguf.Version}, {gguf.Length / (1024.0 * 1024):0.##} MiB, {bytes * 8.0 / parameters:0.##} bits per weight, {gguf.Metadata.Count} metadata keys")));
        lines.Add(("tensors", $"{gguf.Tensors.Count} ({config.ExpectedTensors().Count} expected by {config.Architecture}, all present)"));
        if (gguf.GetStringOrNull("general.name") is { } name) lines.Add(("name", name));
        string? template = gguf.GetStringOrNull("tokenizer.chat_template");
        lines.Add(("chat template", template is null ? "none" : $"{ChatTemplate.Select(template, config.Architecture).Name} ({template.Length} characters)"));
    }
}
