// A real PostgreSQL server for the tests that need many backends: Debian's `postgresql` package (apt, installed by
// scripts/setup.sh), a throwaway cluster made by initdb in a temporary folder, listening on 127.0.0.1 and a free port.
// It has no pgvector: the stock server a BM25-only knowledge base must work on. Shared by the CLI tests (linked source).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using RagTune.Knowledge.Postgres;
using Xunit;

namespace RagTune.Knowledge.Postgres.Tests;

[CollectionDefinition(Name)]
public sealed class DebianPostgresCollection : ICollectionFixture<DebianPostgresServer>
{
    public const string Name = "postgres-server";
}

/// <remarks>
/// Run as root (CI), the cluster belongs to the `postgres` user the package creates (initdb refuses root) and its
/// commands run through runuser; run as anyone else, it belongs to that user. When the server cannot be installed or
/// started, every test of the collection fails with the reason; none is skipped.
/// </remarks>
public sealed class DebianPostgresServer : IAsyncLifetime
{
    public const string InstallCommand = "scripts/setup.sh (or: apt-get install postgresql)";
    private const string ClusterOwner = "postgres";

    private string _bin = "", _root = "", _data = "";
    private int _port;

    public string ConnectionString { get; private set; } = "";

    /// <summary>Options for a fresh, unique schema (every test gets its own knowledge base).</summary>
    public PostgresStoreOptions NewStore() => new() { ConnectionString = ConnectionString, Schema = "t_" + Guid.NewGuid().ToString("N") };

    public async ValueTask InitializeAsync()
    {
        _bin = FindBinaries();
        _port = FreePort();
        _root = Directory.CreateTempSubdirectory("ragtune-pg-").FullName;
        _data = Path.Combine(_root, "data");
        if (Environment.IsPrivilegedProcess)
            await RunAsync("chown", [$"{ClusterOwner}:", _root], asOwner: false);
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", _data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        await StartAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = _port, Username = "postgres", Database = "postgres", Timeout = 30, CommandTimeout = 60,
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
    }

    /// <summary>Starts the stopped server (pg_ctl start waits until it accepts connections).</summary>
    public Task StartAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"),
        ["-D", _data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "120",
         "-o", $"-c listen_addresses=127.0.0.1 -p {_port} -k {_root} -c max_connections=100 -c fsync=off", "start"]);

    /// <summary>Stops the server: "fast" disconnects every session cleanly, "immediate" is a crash (recovery at start).</summary>
    public Task StopAsync(string mode = "fast") => RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", _data, "-m", mode, "-w", "stop"]);

    /// <summary>Runs SQL on a connection of its own (outside any pool) and returns the first column of the first row.</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>What is inconsistent in a knowledge base's tables, read in one snapshot (empty when all is well): the
    /// BM25 corpus statistics against the chunks, postings and chunks without their chunk or document, documents that no
    /// file lists, files that list a missing document, and the same text stored twice.</summary>
    public async Task<List<string>> InconsistenciesAsync(string schema)
    {
        string s = $"\"{schema}\"";
        var checks = new (string What, string Sql)[]
        {
            ("kb_meta.lexical_docs differs from the indexed chunks", $"SELECT lexical_docs <> (SELECT count(lexical_length) FROM {s}.chunks) FROM {s}.kb_meta"),
            ("kb_meta.lexical_length differs from the chunks' lengths", $"SELECT lexical_length <> (SELECT coalesce(sum(lexical_length), 0) FROM {s}.chunks) FROM {s}.kb_meta"),
            ("a posting names a missing chunk", $"SELECT EXISTS (SELECT 1 FROM {s}.postings p WHERE NOT EXISTS (SELECT 1 FROM {s}.chunks c WHERE c.id = p.chunk_id))"),
            ("a chunk names a missing document", $"SELECT EXISTS (SELECT 1 FROM {s}.chunks c WHERE NOT EXISTS (SELECT 1 FROM {s}.documents d WHERE d.id = c.document_id))"),
            ("a document is listed by no file", $"SELECT EXISTS (SELECT 1 FROM {s}.documents d WHERE NOT EXISTS (SELECT 1 FROM {s}.files f WHERE d.id = ANY(f.document_ids)))"),
            ("a file lists a missing document", $"SELECT EXISTS (SELECT 1 FROM {s}.files f, unnest(f.document_ids) i WHERE NOT EXISTS (SELECT 1 FROM {s}.documents d WHERE d.id = i))"),
            ("a document's text is stored twice", $"SELECT EXISTS (SELECT 1 FROM {s}.documents GROUP BY source_path HAVING count(*) > 1)"),
        };
        await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var found = new List<string>();
        foreach (var (what, sql) in checks)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            if ((bool)(await command.ExecuteScalarAsync())!) found.Add(what);
        }
        return found;
    }

    private static string FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        var found = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0).FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            $"Debian's PostgreSQL server is not installed: no {root}/<version>/bin/initdb and pg_ctl. The PostgreSQL concurrency tests need it; run {InstallCommand}.");
    }

    private async Task RunAsync(string program, string[] args, bool asOwner = true)
    {
        bool viaRunuser = asOwner && Environment.IsPrivilegedProcess;
        var start = new ProcessStartInfo(viaRunuser ? "runuser" : program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (viaRunuser)
            foreach (var a in new[] { "-u", ClusterOwner, "--", program }) start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        string line = string.Join(' ', start.ArgumentList.Prepend(start.FileName));
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"`{line}` did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run `{line}` for the PostgreSQL test server ({e.Message}); run {InstallCommand}", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
                throw new InvalidOperationException(
                    $"the PostgreSQL test server: `{line}` exited with {process.ExitCode}:\n{await error}{await output}{ServerLog()}");
        }
    }

    private string ServerLog()
    {
        string log = Path.Combine(_root, "server.log");
        return File.Exists(log) ? "\nserver.log:\n" + File.ReadAllText(log) : "";
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Directory.Exists(_data))
        {
            try
            {
                await StopAsync("immediate");
            }
            catch (InvalidOperationException)
            {
                // Already stopped (a test stopped it and failed before starting it again).
            }
        }
        if (_root.Length > 0 && Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
