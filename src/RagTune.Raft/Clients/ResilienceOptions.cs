// How hard a client pushes a model server: requests in flight, attempts, backoff, Retry-After cap and per-attempt timeout.
// One options type for every remote model RagTune calls: the RAFT teacher, the evaluated systems and the LLM judge.
namespace RagTune.Raft.Clients;

public sealed record ResilienceOptions
{
    /// <summary>Requests in flight at once through one client.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Attempts per request, the first included, for transient failures (see <see cref="ResilientChatClient"/>).</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The wait before retry n is min(MaxBackoff, InitialBackoff·2^(n−1)), scaled by a random factor in [0.5, 1].</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Upper bound on a server's Retry-After, so a bogus header cannot stall a run for hours.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Wall-clock limit for one attempt (the whole reply, streamed or not).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(180);

    internal void Validate()
    {
        if (MaxConcurrency < 1)
            throw new RaftException($"resilience MaxConcurrency {MaxConcurrency} is invalid: expected at least 1");
        if (MaxAttempts < 1)
            throw new RaftException($"resilience MaxAttempts {MaxAttempts} is invalid: expected at least 1");
        if (RequestTimeout <= TimeSpan.Zero)
            throw new RaftException($"resilience RequestTimeout {RequestTimeout} is invalid: expected a positive duration");
        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff)
            throw new RaftException($"resilience backoff {InitialBackoff}..{MaxBackoff} is invalid: expected 0 ≤ InitialBackoff ≤ MaxBackoff");
        if (MaxRetryAfter < TimeSpan.Zero)
            throw new RaftException($"resilience MaxRetryAfter {MaxRetryAfter} is invalid: expected a non-negative duration");
    }
}
