// Per-model token prices (USD per 1M input/output tokens) that turn usage into cost; built-in examples, user file overrides.
using System.Text.Json;

namespace RagTune.Raft.Costs;

/// <summary>Price of one model in US dollars per million tokens.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    public decimal Cost(long inputTokens, long outputTokens) =>
        (inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m;
}

/// <summary>
/// Model → price. Lookup: exact name, then case-insensitive, then the longest known name the model starts with
/// ("gpt-4o-mini-2024-07-18" → "gpt-4o-mini"). Unknown models (e.g. a local Ollama model) cost 0 and
/// <see cref="Find"/> returns null so callers can say so.
/// File format: <c>{"model-name": {"input": 0.15, "output": 0.60}, …}</c> (USD per 1M tokens); entries replace defaults.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;

    public PriceTable(IEnumerable<KeyValuePair<string, ModelPrice>> prices) =>
        _prices = new Dictionary<string, ModelPrice>(prices, StringComparer.Ordinal);

    /// <summary>
    /// EXAMPLE prices only (list prices seen at the time of writing; providers change them and charge per region/tier):
    /// pass your own file for real budgeting.
    /// </summary>
    public static PriceTable Defaults { get; } = new(new Dictionary<string, ModelPrice>
    {
        ["gpt-4o"] = new(2.50m, 10.00m),
        ["gpt-4o-mini"] = new(0.15m, 0.60m),
        ["gpt-4.1"] = new(2.00m, 8.00m),
        ["gpt-4.1-mini"] = new(0.40m, 1.60m),
        ["deepseek-chat"] = new(0.27m, 1.10m),
        ["deepseek-reasoner"] = new(0.55m, 2.19m),
        ["qwen-plus"] = new(0.40m, 1.20m),
        ["qwen-max"] = new(1.60m, 6.40m),
    });

    public IReadOnlyDictionary<string, ModelPrice> Entries => _prices;

    /// <summary>The defaults overlaid with the entries of a JSON price file.</summary>
    public static PriceTable Load(string path, PriceTable? basis = null)
    {
        var root = JsonInput.ReadObject(path, "price file", "{\"model\": {\"input\": usd_per_1M, \"output\": usd_per_1M}}");
        var merged = new Dictionary<string, ModelPrice>((basis ?? Defaults)._prices, StringComparer.Ordinal);
        foreach (var model in root.EnumerateObject())
        {
            decimal Read(string field)
            {
                if (model.Value.ValueKind != JsonValueKind.Object || !model.Value.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Number || v.GetDecimal() < 0)
                    throw new RaftException($"price file '{path}': model '{model.Name}' field '{field}' is missing or not a non-negative number: expected USD per 1M tokens");
                return v.GetDecimal();
            }
            merged[model.Name] = new ModelPrice(Read("input"), Read("output"));
        }
        return new PriceTable(merged);
    }

    public ModelPrice? Find(string model)
    {
        if (_prices.TryGetValue(model, out var p))
            return p;
        foreach (var (name, price) in _prices)
            if (string.Equals(name, model, StringComparison.OrdinalIgnoreCase))
                return price;
        return _prices.Where(kv => model.StartsWith(kv.Key, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(kv => kv.Key.Length).Select(kv => kv.Value).FirstOrDefault();
    }

    public decimal Cost(string model, long inputTokens, long outputTokens) =>
        Find(model)?.Cost(inputTokens, outputTokens) ?? 0m;
}
