// The shared loop of resumable runs: process pending units in parallel, journal each as it finishes, stop starting new ones at the budget.
using RagTune.Raft.Costs;

namespace RagTune.Raft.Runs;

internal static class WorkLoop
{
    /// <summary>
    /// Runs <paramref name="process"/> for each pending unit (at most <paramref name="concurrency"/> at once), appends its
    /// record to <paramref name="journal"/> and calls <paramref name="finished"/> under a lock. Once the meter's cost reaches
    /// <paramref name="maxCostUsd"/> no further unit is started (units in flight complete and are journaled, so the money
    /// spent on them is not wasted). Returns true when the budget stopped the run.
    /// </summary>
    public static async Task<bool> RunAsync<TRecord>(IEnumerable<int> pending, int concurrency, decimal? maxCostUsd, UsageMeter meter,
        Journal<TRecord> journal, Func<int, CancellationToken, Task<TRecord>> process, Action<TRecord> finished, CancellationToken cancellationToken)
    {
        var budgetReached = false;
        var gate = new object();
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                if (maxCostUsd is { } cap && meter.CostUsd >= cap)
                {
                    Volatile.Write(ref budgetReached, true);
                    return;
                }
                var record = await process(index, token).ConfigureAwait(false);
                journal.Append(record);
                lock (gate)
                    finished(record);
            }).ConfigureAwait(false);
        return budgetReached;
    }
}
