// Append-only JSONL checkpoint: one line per finished unit of work, flushed to disk; a torn last line (kill -9) is dropped.
using System.Text;
using System.Text.Json;

namespace RagTune.Raft.Runs;

/// <summary>
/// Each <see cref="Append"/> writes one complete line and fsyncs it before returning, so a line in the file is a unit
/// whose paid work is done. <see cref="ReadAll"/> returns the complete lines; an unparseable final line (a write cut off
/// by kill -9 or power loss) is truncated away so that unit is simply redone; an unparseable line elsewhere is
/// corruption and raises a <see cref="RaftException"/> naming the file and line.
/// </summary>
public sealed class Journal<T> : IDisposable
{
    private readonly FileStream _stream;
    private readonly JsonSerializerOptions _json;
    private readonly object _lock = new();

    private Journal(FileStream stream, JsonSerializerOptions json)
    {
        _stream = stream;
        _json = json;
    }

    /// <summary>Reads the finished entries, repairs a torn tail, and opens the file for appending.</summary>
    public static Journal<T> Open(string path, JsonSerializerOptions json, out List<T> entries)
    {
        entries = ReadAll(path, json, repair: true);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new Journal<T>(stream, json);
    }

    public static List<T> ReadAll(string path, JsonSerializerOptions json, bool repair = false)
    {
        var result = new List<T>();
        if (!File.Exists(path))
            return result;
        var bytes = File.ReadAllBytes(path);
        long goodEnd = 0;
        var lineNo = 0;
        var start = 0;
        while (start < bytes.Length)
        {
            lineNo++;
            var nl = Array.IndexOf(bytes, (byte)'\n', start);
            var end = nl < 0 ? bytes.Length : nl;
            var isLast = nl < 0 || nl == bytes.Length - 1;
            var span = bytes.AsSpan(start, end - start);
            if (span.Trim((byte)'\r').Length > 0)
            {
                T? entry = default;
                Exception? error = null;
                try
                {
                    entry = JsonSerializer.Deserialize<T>(span, json);
                }
                catch (JsonException ex)
                {
                    error = ex;
                }
                if (entry is null || nl < 0)
                {
                    // A line without its newline was never completed, even if it happens to parse.
                    if (isLast)
                        break;
                    throw new RaftException($"{path}:{lineNo}: journal line is not valid ({error?.Message ?? "empty entry"}); only the last line may be torn — the file is corrupt", error ?? new JsonException());
                }
                result.Add(entry);
            }
            goodEnd = nl < 0 ? bytes.Length : nl + 1;
            start = end + 1;
        }
        if (repair && goodEnd < bytes.Length)
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
            fs.SetLength(goodEnd);
            fs.Flush(flushToDisk: true);
        }
        return result;
    }

    public void Append(T entry)
    {
        var line = JsonSerializer.Serialize(entry, _json) + "\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (_lock)
        {
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: true);
        }
    }

    public void Dispose() => _stream.Dispose();
}
