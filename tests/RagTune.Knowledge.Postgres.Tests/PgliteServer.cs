// A real PostgreSQL for the store tests: PGlite (PostgreSQL compiled to WebAssembly) with pgvector, served over the wire
// protocol by pglite-socket on 127.0.0.1 and a free port, started once for the "pglite" test collection.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit;

namespace RagTune.Knowledge.Postgres.Tests;

[CollectionDefinition(Name)]
public sealed class PgliteCollection : ICollectionFixture<PgliteServer>
{
    public const string Name = "pglite";
}

/// <remarks>
/// PGlite runs one backend for all connections: tests never hold a transaction on one connection while another waits,
/// and pools stay at 10 connections (the server's -m). Missing npm packages fail the tests with the install command.
/// </remarks>
public sealed class PgliteServer : IAsyncLifetime
{
    public const string InstallCommand = "npm ci --prefix tools/pglite";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private Process? _process;
    private readonly StringBuilder _log = new();

    public string ConnectionString { get; private set; } = "";

    /// <summary>Options for a fresh, unique schema (every test gets its own knowledge base).</summary>
    public PostgresStoreOptions NewStore() => new() { ConnectionString = ConnectionString, Schema = "t_" + Guid.NewGuid().ToString("N") };

    public async ValueTask InitializeAsync()
    {
        string toolDir = FindToolDirectory();
        string server = Path.Combine(toolDir, "node_modules", "@electric-sql", "pglite-socket", "dist", "scripts", "server.js");
        string vector = Path.Combine(toolDir, "node_modules", "@electric-sql", "pglite-pgvector");
        if (!File.Exists(server) || !Directory.Exists(vector))
            throw new InvalidOperationException($"PGlite is not installed: {server} or {vector} is missing. Run `{InstallCommand}` in the repository root (Node.js 20+) before the PostgreSQL store tests.");
        int port = FreePort();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = toolDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { server, $"--port={port}", "--host=127.0.0.1", "--extensions=@electric-sql/pglite-pgvector:vector", "--max-connections=10" })
            start.ArgumentList.Add(arg);
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run `node` for the PGlite test server ({e.Message}); install Node.js 20+ and run `{InstallCommand}`", e);
        }
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Password = "postgres",
            Database = "postgres",
            MaxPoolSize = 10,
            Timeout = 30,
            CommandTimeout = 60,
        }.ConnectionString;
        await WaitUntilReadyAsync();
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"the PGlite server exited with code {_process.ExitCode} before accepting connections:\n{Log()}");
            try
            {
                // Pooling off: the probe's connection must not linger in the pool of the tests' connection string.
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1; CREATE EXTENSION IF NOT EXISTS vector;", connection);
                await command.ExecuteNonQueryAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or IOException or TimeoutException)
            {
                last = e;
                await Task.Delay(250);
            }
        }
        throw new InvalidOperationException($"the PGlite server did not answer SELECT 1 within {StartTimeout.TotalSeconds} s ({last?.Message}):\n{Log()}", last);
    }

    private string Log()
    {
        lock (_log) return _log.ToString();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string FindToolDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tools", "pglite");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new InvalidOperationException($"tools/pglite/package.json not found above {AppContext.BaseDirectory}; expected the tests to run from the repository's build output");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
    }
}
