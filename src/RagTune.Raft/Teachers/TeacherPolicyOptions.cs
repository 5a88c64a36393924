// How hard RAFT pushes a teacher: concurrency, attempts, backoff and per-request timeout.
namespace RagTune.Raft.Teachers;

public sealed class TeacherPolicyOptions
{
    /// <summary>Requests in flight at once.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Attempts per request, the first included, for 429/408/5xx, timeouts and connection failures.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Backoff before retry n is min(MaxBackoff, InitialBackoff·2^(n−1)), scaled by a random factor in [0.5, 1].</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Upper bound on a server's Retry-After, so a bogus header cannot stall a run for hours.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wall-clock limit for one attempt (the whole reply, streamed or not).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(180);

    internal void Validate()
    {
        if (MaxConcurrency < 1)
            throw new RaftException($"teacher concurrency {MaxConcurrency} is invalid: expected at least 1");
        if (MaxAttempts < 1)
            throw new RaftException($"teacher max attempts {MaxAttempts} is invalid: expected at least 1");
        if (RequestTimeout <= TimeSpan.Zero)
            throw new RaftException($"teacher request timeout {RequestTimeout} is invalid: expected a positive duration");
    }
}
