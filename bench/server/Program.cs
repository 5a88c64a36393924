// Server load test: N concurrent streaming chats against a small local model on loopback (in-process `ragtune serve`
// on 127.0.0.1, port 0), bounded in count and time; reports errors and TTFT / total latency percentiles.
// dotnet run -c Release --project bench/server -- --clients 8 --requests 4 --max-tokens 32
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RagTune.Server;
using RagTune.Server.Configuration;

var settings = new Dictionary<string, string>
{
    ["--model"] = "tests/RagTune.Engine.Tests/TestData/models/qwen2-tiny",
    ["--clients"] = "8",
    ["--requests"] = "4",
    ["--max-tokens"] = "32",
    ["--concurrent"] = "2",
    ["--timeout"] = "120",
};
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (!settings.ContainsKey(args[i])) { Console.Error.WriteLine($"unknown option {args[i]}; expected one of {string.Join(", ", settings.Keys)}"); return 2; }
    settings[args[i]] = args[i + 1];
}
int Int(string key) => int.Parse(settings[key], CultureInfo.InvariantCulture);
int clients = Int("--clients"), perClient = Int("--requests"), maxTokens = Int("--max-tokens");

var options = new ServerOptions
{
    Models = [new ModelEntry { Name = "tiny", Path = Path.GetFullPath(settings["--model"]), Kind = "chat" }],
    MaxConcurrentPerModel = Int("--concurrent"),
    MaxQueuePerModel = clients,  // every client may wait: the test expects 0 errors, not 429s
};
await using var app = await RagTuneServer.BuildAsync(options, ["http://127.0.0.1:0"]);
await app.StartAsync();
var baseAddress = new Uri(app.Urls.First());
using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(Int("--timeout")) };
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(Int("--timeout")));

var ttft = new List<double>();
var total = new List<double>();
var tokens = new List<int>();
int errors = 0;
string[] questions = ["What is the refund policy?", "退货政策是什么？", "How fast is express shipping?", "保修期多久？"];

async Task<(double Ttft, double Total, int Tokens)> OneAsync(string question, CancellationToken ct)
{
    string body = JsonSerializer.Serialize(new
    {
        model = "tiny", stream = true, max_tokens = maxTokens, stream_options = new { include_usage = true },
        messages = new[] { new { role = "user", content = question } },
    });
    var watch = Stopwatch.StartNew();
    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    response.EnsureSuccessStatusCode();
    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
    double first = -1;
    int completion = -1;
    bool done = false;
    while (await reader.ReadLineAsync(ct) is { } line)
    {
        if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
        if (line == "data: [DONE]") { done = true; break; }
        using var chunk = JsonDocument.Parse(line[6..]);
        var root = chunk.RootElement;
        if (root.TryGetProperty("error", out var error)) throw new InvalidOperationException(error.ToString());
        if (first < 0 && root.GetProperty("choices") is { } choices && choices.GetArrayLength() > 0
            && choices[0].GetProperty("delta").TryGetProperty("content", out var c) && c.GetString() is { Length: > 0 })
            first = watch.Elapsed.TotalMilliseconds;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            completion = usage.GetProperty("completion_tokens").GetInt32();
    }
    if (!done || completion < 0) throw new InvalidOperationException("stream ended without usage and [DONE]");
    return (first, watch.Elapsed.TotalMilliseconds, completion);
}

var wall = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
{
    for (int r = 0; r < perClient; r++)
    {
        try
        {
            var (t, all, n) = await OneAsync(questions[(c + r) % questions.Length], deadline.Token);
            lock (total) { ttft.Add(t); total.Add(all); tokens.Add(n); }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref errors);
            Console.Error.WriteLine($"client {c} request {r}: {e.GetType().Name}: {e.Message}");
        }
    }
})));
wall.Stop();
await app.StopAsync();

static double Percentile(List<double> values, double p)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToList();
    double rank = p / 100 * (sorted.Count - 1);
    int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

int requests = clients * perClient;
Console.WriteLine($"requests {requests}, completed {total.Count}, errors {errors}, wall {wall.Elapsed.TotalSeconds:F2} s, " +
    $"{tokens.Sum() / wall.Elapsed.TotalSeconds:F1} generated tokens/s, {total.Count / wall.Elapsed.TotalSeconds:F2} requests/s");
Console.WriteLine("| metric | p50 ms | p90 ms | p99 ms | max ms |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var (name, values) in new[] { ("TTFT", ttft), ("total", total) })
    Console.WriteLine(FormattableString.Invariant($"| {name} | {Percentile(values, 50):F1} | {Percentile(values, 90):F1} | {Percentile(values, 99):F1} | {values.DefaultIfEmpty(double.NaN).Max():F1} |"));
return errors == 0 && total.Count == requests ? 0 : 1;
