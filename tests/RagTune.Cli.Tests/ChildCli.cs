// Runs the built `ragtune` (ragtune.dll, copied next to the tests) as a child process, as a user would, and sends it signals.
// Shared by the CLI and Raft test projects (linked source).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace RagTune.Cli.Tests;

internal sealed partial class ChildCli : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stdout = new();

    private ChildCli(Process process) => _process = process;

    public Process Process => _process;

    /// <summary>Everything the child wrote so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Only what the child wrote to stdout so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_output)
                return _stdout.ToString();
        }
    }

    public static ChildCli Start(params string[] args) => Start(new Dictionary<string, string?> { ["NO_COLOR"] = "1" }, args);

    /// <summary>Starts the child with these environment variables set (a null value removes one).</summary>
    public static ChildCli Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // ragtune.dll runs with the test project's runtimeconfig/deps: they list ASP.NET Core, which supplies the shared
        // Microsoft.Extensions.* assemblies that are therefore not copied next to the tests. This file is linked into
        // several test projects, so the project is the assembly it was compiled into.
        string dir = AppContext.BaseDirectory, tests = typeof(ChildCli).Assembly.GetName().Name!;
        foreach (var a in new[] { "exec", "--runtimeconfig", Path.Combine(dir, tests + ".runtimeconfig.json"),
                     "--depsfile", Path.Combine(dir, tests + ".deps.json"), Path.Combine(dir, "ragtune.dll") })
            psi.ArgumentList.Add(a);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        var child = new ChildCli(new Process { StartInfo = psi });
        child._process.OutputDataReceived += (_, e) => child.Append(e.Data, stdout: true);
        child._process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        child._process.Start();
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line, bool stdout = false)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.AppendLine(line);
            if (stdout) _stdout.AppendLine(line);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with the child's output if it exits or time runs out.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.False(_process.HasExited, $"the child exited (code {(_process.HasExited ? _process.ExitCode : 0)}) before {what}:\n{Output}");
            Assert.True(clock.Elapsed < limit, $"the child did not reach '{what}' within {limit.TotalSeconds} s:\n{Output}");
            await Task.Delay(25, cancellationToken);
        }
    }

    /// <summary>Sends SIGTERM, what `kill PID`, systemd and docker stop send.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, SigTerm) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"the child did not exit within {limit.TotalSeconds} s:\n{Output}");
        }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
