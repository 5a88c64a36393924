// Ctrl+C and SIGTERM for long commands: the first signal cancels the command's token, so the running stage stops at a safe
// point and the next run resumes it; a second signal ends the process at once. System.CommandLine 2.0.0 does neither
// unless ProcessTerminationTimeout is set, so without this a signal killed a long command wherever it was. Every long
// command sets its action through SetAction below.
using System.CommandLine;
using System.Runtime.InteropServices;

namespace RagTune.Cli.Commands;

internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    public TerminationSignals(CancellationToken commandToken)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(commandToken);
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    /// <summary>Sets <paramref name="action"/> as the command's action, run with a token that the first SIGINT/SIGTERM
    /// cancels: the action stops at its next safe point and the runner exits with 130.</summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(action);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var signals = new TerminationSignals(cancellationToken);
            return await action(parse, signals.Token);
        });
    }

    /// <summary>Cancelled by the first SIGINT/SIGTERM or by the command's own token.</summary>
    public CancellationToken Token => _cancel.Token;

    private void OnSignal(PosixSignalContext context)
    {
        // A second signal keeps the default action: the process ends now.
        if (Interlocked.Increment(ref _received) > 1)
            return;
        context.Cancel = true;
        Console.Error.WriteLine($"ragtune: {context.Signal} received: stopping at the next safe point (send it again to stop at once)");
        _cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
            r.Dispose();
        _cancel.Dispose();
    }
}
