// The federated arm: `ragtune fed serve` and one `ragtune fed join` per site as child processes on loopback.
namespace RagTune.Bench.Federated;

internal static class FederatedArm
{
    public static Task<string> RunAsync(string? ragtune, string root, string baseModel, IReadOnlyList<string> siteData, int rounds,
        int stepsPerRound, float lr, int rank, int batch, int maxLength, ulong seed, Action<string> say) =>
        throw new InvalidOperationException("the federated arm needs `ragtune fed serve` / `fed join` (issue 17, not merged yet); run with --arms central,alone");
}
