// Seams the crash-safety tests use to stop a commit at a chosen point; unset (no effect) outside tests.
namespace RagTune.Knowledge.Store;

internal static class TestHooks
{
    /// <summary>Called with the new generation's folder after it is fully written and before the manifest swap.
    /// AsyncLocal so that a test's hook never fires in another test running in parallel.</summary>
    public static readonly AsyncLocal<Action<string>?> BeforeManifestSwap = new();
}
