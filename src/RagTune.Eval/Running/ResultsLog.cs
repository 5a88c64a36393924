// The resumable results file: append-only JSONL, one ItemResult per line, flushed after each. Opening it reads what a
// previous run finished; a torn last line (the process died mid-write) is dropped and cut off before appending.
using System.Text;
using System.Text.Json;

namespace RagTune.Eval.Running;

public sealed class ResultsLog : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private ResultsLog(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>Opens (creating if needed) the log and returns the results already in it, in file order.</summary>
    public static async Task<(ResultsLog Log, IReadOnlyList<ItemResult> Existing)> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        FileStream stream;
        try
        {
            // FileShare.None (an exclusive lock on Unix too): a second run on the same file fails here instead of
            // interleaving its lines with this one's.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 4096, useAsync: true);
        }
        catch (IOException ex)
        {
            throw new EvalException($"{path}: cannot open the results file ({ex.Message}); expected no other evaluation using it", ex);
        }
        try
        {
            var bytes = new byte[stream.Length];
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            var (existing, keep) = Parse(bytes, path);
            stream.SetLength(keep);
            stream.Seek(keep, SeekOrigin.Begin);
            return (new ResultsLog(path, stream), existing);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Returns the parsed results and the byte length to keep (through the last complete, valid line).
    private static (List<ItemResult>, long) Parse(byte[] bytes, string path)
    {
        var results = new List<ItemResult>();
        int pos = 0, lineNo = 0;
        long keep = 0;
        while (pos < bytes.Length)
        {
            lineNo++;
            int nl = Array.IndexOf(bytes, (byte)'\n', pos);
            int end = nl < 0 ? bytes.Length : nl;
            var text = Encoding.UTF8.GetString(bytes, pos, end - pos).Trim();
            bool last = nl < 0 || bytes.AsSpan(nl + 1).Trim((byte)'\n').Trim((byte)'\r').Trim((byte)' ').IsEmpty;
            if (text.Length > 0)
            {
                ItemResult? r = null;
                try { r = JsonSerializer.Deserialize<ItemResult>(text, EvalJson.Line); }
                catch (JsonException ex) when (!last)
                {
                    throw new EvalException($"{path}:{lineNo}: not a valid result line ({ex.Message}); expected one JSON ItemResult per line (delete the file to start over)", ex);
                }
                catch (JsonException)
                {
                    break; // torn last line: dropped, and cut off at `keep`
                }
                if (r is null || string.IsNullOrEmpty(r.System) || string.IsNullOrEmpty(r.ItemId))
                    throw new EvalException($"{path}:{lineNo}: result line lacks 'system' or 'item_id'; expected both");
                results.Add(r);
            }
            if (nl < 0) { keep = bytes.Length; break; }
            pos = nl + 1;
            keep = pos;
        }
        // A complete last line without its newline: keep it and let the next append start on a fresh line.
        return (results, keep);
    }

    public async Task AppendAsync(ItemResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        var line = JsonSerializer.Serialize(result, EvalJson.Line);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sb = new StringBuilder();
            if (_stream.Length > 0 && !EndsWithNewline()) sb.Append('\n');
            sb.Append(line).Append('\n');
            var bytes = Encoding.UTF8.GetBytes(sb.ToString());
            // Written and flushed whole under the lock, without a token: a cancelled write would itself tear the line.
            await _stream.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
            await _stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    private bool EndsWithNewline()
    {
        long pos = _stream.Position;
        _stream.Seek(-1, SeekOrigin.End);
        int b = _stream.ReadByte();
        _stream.Seek(pos, SeekOrigin.Begin);
        return b == '\n';
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
