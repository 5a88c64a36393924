// `ragtune serve`: the OpenAI-compatible API, RAG models (rag:<kb>), intent routers and the web UI from a config file
// (JSON/YAML) and/or options; refuses a non-loopback address without API keys unless --insecure.
using System.CommandLine;
using Microsoft.Extensions.Hosting;
using RagTune.Server;
using RagTune.Server.Configuration;

namespace RagTune.Cli.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c") { Description = "Server config file (.json or .yaml): models, adapters, knowledge_bases, routers, limits (see docs/server.md)" };
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "Port to listen on (0 = any free port)", DefaultValueFactory = _ => 8000 };
        var models = new Option<string[]>("--model", "-m") { Description = "Chat model NAME=DIR, or NAME=FILE.gguf (repeatable)" };
        var embeddings = new Option<string[]>("--embedding") { Description = "Embedding model NAME=DIR (repeatable)" };
        var lora = new Option<string[]>("--lora-modules") { Description = "PEFT adapter NAME=DIR (LoRA or prompt tuning) of the first --model, served as model NAME (repeatable, as vLLM)" };
        var kbs = new Option<string[]>("--kb") { Description = "Knowledge base NAME=DIR served as model rag:NAME, answered by the first --model; without a chat model, for search only (repeatable)" };
        var apiKeys = new Option<string[]>("--api-key") { Description = "Accepted bearer key (repeatable; also RAGTUNE_API_KEY)" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow a non-loopback address without API keys" };
        var cors = new Option<string[]>("--cors-origin") { Description = "Allow this browser origin (repeatable); CORS is closed otherwise" };
        var datasets = new Option<string?>("--datasets") { Description = "Folder of RAFT *.jsonl shown by the dataset viewer" };
        var reports = new Option<string?>("--reports") { Description = "Folder of evaluation reports (*.html)" };
        var runs = new Option<string?>("--runs") { Description = "Folder of training runs (loss curves, *.svg)" };

        var command = new Command("serve", "Serve local models, RAG over knowledge bases and the web UI (OpenAI-compatible API)")
        {
            config, host, port, models, embeddings, lora, kbs, apiKeys, insecure, cors, datasets, reports, runs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = parse.GetValue(config) is { } file ? ServerOptionsLoader.Load(file) : new ServerOptions();
            foreach (var (name, dir) in Pairs(parse.GetValue(models), "--model"))
                options.Models.Add(new ModelEntry { Name = name, Path = Path.GetFullPath(dir), Kind = "chat" });
            foreach (var (name, dir) in Pairs(parse.GetValue(embeddings), "--embedding"))
                options.Models.Add(new ModelEntry { Name = name, Path = Path.GetFullPath(dir), Kind = "embedding" });
            var firstChat = options.Models.FirstOrDefault(m => m.Kind == "chat");
            foreach (var (name, dir) in Pairs(parse.GetValue(lora), "--lora-modules"))
                (firstChat ?? throw new ArgumentException("--lora-modules needs a chat model (--model or the config)")).Adapters.Add(new AdapterEntry { Name = name, Path = Path.GetFullPath(dir) });
            foreach (var (name, dir) in Pairs(parse.GetValue(kbs), "--kb"))
                options.KnowledgeBases.Add(new KnowledgeBaseEntry
                {
                    Name = name, Path = Path.GetFullPath(dir),
                    // Without a chat model the knowledge base is served for search (API and web UI) only.
                    Generator = firstChat?.Name ?? "",
                });
            options.ApiKeys.AddRange(parse.GetValue(apiKeys) ?? []);
            if (Environment.GetEnvironmentVariable("RAGTUNE_API_KEY") is { Length: > 0 } envKey) options.ApiKeys.Add(envKey);
            options.CorsOrigins.AddRange(parse.GetValue(cors) ?? []);
            options.Insecure |= parse.GetValue(insecure);
            options.DatasetsFolder = parse.GetValue(datasets) is { } d ? Path.GetFullPath(d) : options.DatasetsFolder;
            options.ReportsFolder = parse.GetValue(reports) is { } r ? Path.GetFullPath(r) : options.ReportsFolder;
            options.RunsFolder = parse.GetValue(runs) is { } u ? Path.GetFullPath(u) : options.RunsFolder;
            if (options.Models.Count == 0 && options.KnowledgeBases.Count == 0)
                throw new ArgumentException("nothing to serve: give --model NAME=DIR, --kb NAME=DIR or --config FILE");
            if (firstChat is null && options.KnowledgeBases.Count > 0)
                Console.Error.WriteLine("ragtune: no chat model: knowledge bases are served for search only (chat requests are answered 503)");

            string h = parse.GetValue(host)!;
            string url = $"http://{(h.Contains(':') ? "[" + h + "]" : h)}:{parse.GetValue(port)}";
            await using var app = await RagTuneServer.BuildAsync(options, [url], cancellationToken: cancellationToken);
            await app.StartAsync(cancellationToken);
            foreach (string address in app.Urls) Console.Out.WriteLine($"ragtune: serving on {address} (web UI at {address}/, API at {address}/v1)");
            // The host's console lifetime takes SIGTERM/SIGINT (and keeps the process alive for a graceful stop), so
            // waiting on the host — not only on the command's token — is what makes `kill <pid>` end the server cleanly.
            await app.WaitForShutdownAsync(cancellationToken);
            Console.Out.WriteLine("ragtune: stopped");
            return 0;
        });
        return command;
    }

    private static IEnumerable<(string Name, string Dir)> Pairs(string[]? values, string option)
    {
        foreach (string v in values ?? [])
        {
            int eq = v.IndexOf('=');
            if (eq <= 0 || eq == v.Length - 1) throw new ArgumentException($"{option} '{v}' is not NAME=DIR");
            yield return (v[..eq], v[(eq + 1)..]);
        }
    }
}
