// The frozen generator's answer log-likelihoods log p(answer | chunk_k, query) of an LSR run, one JSONL line per example,
// appended as they are computed. They depend only on the generator and the data, never on the training step, so every
// epoch and every resumed run reads them back instead of re-running the generator. A header line names the generator
// and the data they came from; a line torn by kill -9 is dropped on reopening.
using System.Text;
using System.Text.Json;

namespace RagTune.Engine.Training;

public sealed class LsrScoreJournal : IDisposable
{
    public const string FileName = "generator_scores.jsonl";

    private sealed record Header(string Generator, string DataSha256);

    private sealed record Line(int Index, double[] Logp);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Dictionary<int, double[]> _scores = [];
    private readonly FileStream _file;

    public string Path { get; }

    /// <summary>Examples whose scores were found in the journal when it was opened.</summary>
    public int Reused { get; }

    public int Count => _scores.Count;

    /// <summary>Opens the journal of a run folder, keeping its lines when they were scored by the same generator on the same data
    /// (<paramref name="generator"/> and <paramref name="dataSha256"/>), starting it afresh otherwise.</summary>
    public LsrScoreJournal(string runDirectory, string generator, string dataSha256)
    {
        Directory.CreateDirectory(runDirectory);
        Path = System.IO.Path.Combine(runDirectory, FileName);
        var header = new Header(generator, dataSha256);
        long keep = File.Exists(Path) ? ReadExisting(header) : 0;
        _file = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        _file.SetLength(keep);
        _file.Seek(keep, SeekOrigin.Begin);
        if (keep == 0)
        {
            _scores.Clear();
            Append(JsonSerializer.Serialize(header, Json));
        }
        Reused = _scores.Count;
    }

    /// <summary>Loads the complete lines of a matching journal; returns the byte length to keep (0 = start afresh).</summary>
    private long ReadExisting(Header expected)
    {
        var bytes = File.ReadAllBytes(Path);
        long offset = 0;
        bool first = true;
        while (offset < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', (int)offset);
            if (end < 0) break;   // the torn tail of a killed run
            string text = Encoding.UTF8.GetString(bytes, (int)offset, end - (int)offset);
            try
            {
                if (first)
                {
                    if (JsonSerializer.Deserialize<Header>(text, Json) != expected) return 0;
                    first = false;
                }
                else if (JsonSerializer.Deserialize<Line>(text, Json) is { Logp: not null } line)
                    _scores[line.Index] = line.Logp;
            }
            catch (JsonException)
            {
                if (first) return 0;
                break;
            }
            offset = end + 1;
        }
        return first ? 0 : offset;
    }

    public bool TryGet(int index, out double[] logp) => _scores.TryGetValue(index, out logp!);

    public void Add(int index, double[] logp)
    {
        _scores[index] = logp;
        Append(JsonSerializer.Serialize(new Line(index, logp), Json));
    }

    private void Append(string line)
    {
        _file.Write(Encoding.UTF8.GetBytes(line + "\n"));
        _file.Flush();
    }

    public void Dispose() => _file.Dispose();
}
