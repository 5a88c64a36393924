// Thread-safe running totals of teacher calls, tokens and cost, for progress, budget caps and reports.
namespace RagTune.Raft.Costs;

/// <summary>Totals of teacher usage. Cost is exact decimal arithmetic on the reported token counts.</summary>
public sealed class UsageMeter
{
    private readonly object _lock = new();
    private long _calls, _input, _output;
    private decimal _cost;

    public long Calls { get { lock (_lock) return _calls; } }

    public long InputTokens { get { lock (_lock) return _input; } }

    public long OutputTokens { get { lock (_lock) return _output; } }

    public decimal CostUsd { get { lock (_lock) return _cost; } }

    public void Add(long calls, long inputTokens, long outputTokens, decimal cost)
    {
        lock (_lock)
        {
            _calls += calls;
            _input += inputTokens;
            _output += outputTokens;
            _cost += cost;
        }
    }
}
