// `ragtune fed join`: this machine as a site of a Flower federation (a Flower server or `ragtune fed serve`): each round it
// loads the global adapter, trains on --data with the `train sft` settings (a round's config may set local_epochs,
// local_steps, learning_rate and proximal_mu), and sends back the adapter, its example count and mean loss; --eval answers
// the server's evaluation with held-out loss and EM. The base model and the data never leave the machine.
using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using RagTune.Federated;
using RagTune.Federated.Numpy;
using RagTune.Federated.Sites;

namespace RagTune.Cli.Commands;

public static class FedJoinCommand
{
    public static Command Create()
    {
        var flags = new TrainCommand.SftFlags();
        var server = new Option<string>("--server") { Description = "The Flower server as HOST:PORT (a Flower server or `ragtune fed serve`)", Required = true };
        var eval = new Option<string?>("--eval") { Description = "Held-out chat JSONL: the site answers the server's evaluation with its loss and EM" };
        var init = new Option<string?>("--adapter-init") { Description = "Start from this PEFT adapter folder (its rank, alpha and targets); default a fresh adapter from --lora-*" };
        var key = new Option<string?>("--key") { Description = "This site's key, sent as x-ragtune-site-key metadata (checked by `ragtune fed serve`)" };
        var keyFile = new Option<string?>("--key-file") { Description = "A file whose first line is this site's key (keeps it out of the process list)" };
        var ca = new Option<string?>("--tls-ca") { Description = "PEM of the CA that signed the server's certificate: connect with TLS and trust only it" };
        var fp16 = new Option<bool>("--fp16") { Description = "Send float16 tensors (half the traffic); the server's float16, float32 or float64 tensors are all read" };
        var work = new Option<string>("--work") { Description = "The site's work folder: rounds, the last global and local adapters", DefaultValueFactory = _ => "fed-site" };
        var answers = new Option<int>("--eval-answers") { Description = "Held-out questions answered greedily for EM per evaluation (the loss uses all)", DefaultValueFactory = _ => 32 };
        var once = new Option<bool>("--no-reconnect") { Description = "Stop when the server disconnects, even if it asks the site to come back later" };
        var command = new Command("join", "Join a Flower federation as a site: train the global LoRA adapter on local data each round");
        command.Options.Add(server);
        flags.AddSiteTo(command);
        foreach (var o in new Option[] { eval, init, key, keyFile, ca, fp16, work, answers, once })
            command.Options.Add(o);
        TerminationSignals.SetAction(command, async (parse, cancellationToken) =>
        {
            string? siteKey = parse.GetValue(key);
            if (parse.GetValue(keyFile) is { } file)
            {
                if (siteKey is not null) throw new FederatedException("--key and --key-file both give the site key: give one");
                if (!File.Exists(file)) throw new FederatedException($"{file}: the key file is missing");
                siteKey = File.ReadLines(file).FirstOrDefault()?.Trim();
                if (string.IsNullOrEmpty(siteKey)) throw new FederatedException($"{file}: the first line is empty (expected the site key)");
            }
            if (siteKey is not null && parse.GetValue(ca) is null)
                Console.Error.WriteLine("warning: the site key travels without TLS (give --tls-ca to encrypt it)");
            var training = flags.Map(parse, full: false) with { OutputDirectory = parse.GetValue(work)! };
            using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                .AddFilter("Microsoft", LogLevel.Warning).AddFilter("System", LogLevel.Warning)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var options = new FederatedSiteOptions
            {
                Server = parse.GetValue(server)!,
                Training = training,
                InitialAdapter = parse.GetValue(init),
                EvaluationDataPath = parse.GetValue(eval),
                MaxEvaluationAnswers = parse.GetValue(answers),
                WireDtype = parse.GetValue(fp16) ? NpyDtype.Float16 : NpyDtype.Float32,
                TlsCaFile = parse.GetValue(ca),
                SiteKey = siteKey,
                Reconnect = !parse.GetValue(once),
                Logger = loggers.CreateLogger("ragtune.fed.site"),
                TrainingProgress = new TrainCommand.InlineProgress(p => Console.Error.WriteLine("  " + TrainCommand.Describe(p))),
            };
            using var site = new FederatedSite(options);
            var result = await site.RunAsync(cancellationToken);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.FitRounds} rounds trained, {result.EvaluateRounds} evaluated, {result.RefusedMessages} server messages refused"));
            if (result.GlobalAdapterPath is not null) Console.Error.WriteLine($"last global adapter: {result.GlobalAdapterPath}");
            Console.Out.WriteLine(result.LocalAdapterPath ?? result.GlobalAdapterPath ?? Path.GetFullPath(options.Training.OutputDirectory));
            return result.RefusedMessages > 0 ? 1 : 0;
        });
        return command;
    }
}
