// AtomicFile: while a write runs the target still holds its old content, a failed or cancelled write leaves the old
// target and no temporary file, and a successful one replaces the target whole (sync and async, bytes and text).
using System.Text;
using RagTune.Engine.IO;
using Xunit;

namespace RagTune.Engine.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Target => Path.Combine(_dir, "report.json");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Files() => Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void The_target_keeps_its_old_content_until_the_new_one_is_complete()
    {
        File.WriteAllText(Target, "old");
        AtomicFile.Write(Target, stream =>
        {
            stream.Write("new, first half "u8);
            stream.Flush();
            Assert.Equal("old", File.ReadAllText(Target));
            Assert.True(File.Exists(AtomicFile.TemporaryPath(Target)));
            stream.Write("and second half"u8);
        });
        Assert.Equal("new, first half and second half", File.ReadAllText(Target));
        Assert.Equal(["report.json"], Files());
    }

    [Fact]
    public void A_failed_write_leaves_the_old_target_and_removes_the_temporary_file()
    {
        File.WriteAllText(Target, "old");
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(Target, stream =>
        {
            stream.Write(new byte[200_000]);
            throw new InvalidOperationException("writer failed half way");
        }));
        Assert.Equal("writer failed half way", e.Message);
        Assert.Equal("old", File.ReadAllText(Target));
        Assert.Equal(["report.json"], Files());
    }

    [Fact]
    public void A_failed_first_write_creates_no_target()
    {
        Assert.Throws<IOException>(() => AtomicFile.Write(Target, stream =>
        {
            stream.Write("partial"u8);
            throw new IOException("disk full");
        }));
        Assert.Empty(Files());
    }

    [Fact]
    public void A_stale_temporary_file_from_a_crash_is_replaced_not_appended_to()
    {
        File.WriteAllText(AtomicFile.TemporaryPath(Target), "{ half a report from a killed run, longer than the new one");
        AtomicFile.WriteText(Target, "{}");
        Assert.Equal("{}", File.ReadAllText(Target));
        Assert.Equal(["report.json"], Files());
    }

    [Fact]
    public void Text_is_utf8_without_a_byte_order_mark()
    {
        AtomicFile.WriteText(Target, "知识库 ok");
        Assert.Equal(Encoding.UTF8.GetBytes("知识库 ok"), File.ReadAllBytes(Target));
    }

    [Fact]
    public async Task Async_write_streams_and_replaces_the_target()
    {
        File.WriteAllText(Target, "old");
        await AtomicFile.WriteAsync(Target, async (stream, ct) =>
        {
            for (int i = 0; i < 1000; i++) await stream.WriteAsync(Encoding.UTF8.GetBytes($"line {i}\n"), ct);
            Assert.Equal("old", await File.ReadAllTextAsync(Target, ct));
        }, Ct);
        var lines = await File.ReadAllLinesAsync(Target, Ct);
        Assert.Equal(1000, lines.Length);
        Assert.Equal("line 999", lines[^1]);
        Assert.Equal(["report.json"], Files());
    }

    [Fact]
    public async Task A_failed_async_write_leaves_the_old_target_and_removes_the_temporary_file()
    {
        await AtomicFile.WriteTextAsync(Target, "old", Ct);
        await Assert.ThrowsAsync<FormatException>(() => AtomicFile.WriteAsync(Target, async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[100_000], ct);
            throw new FormatException("bad row");
        }, Ct));
        Assert.Equal("old", await File.ReadAllTextAsync(Target, Ct));
        Assert.Equal(["report.json"], Files());
    }

    [Fact]
    public async Task A_cancelled_async_write_leaves_the_old_target_and_removes_the_temporary_file()
    {
        await AtomicFile.WriteTextAsync(Target, "old", Ct);
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(Target, async (stream, ct) =>
        {
            await stream.WriteAsync("new content that must not land"u8.ToArray(), ct);
            await cts.CancelAsync();
        }, cts.Token));
        Assert.Equal("old", await File.ReadAllTextAsync(Target, Ct));
        Assert.Equal(["report.json"], Files());
    }

    [Fact]
    public void A_write_into_a_missing_folder_fails_without_leaving_anything()
    {
        string path = Path.Combine(_dir, "missing", "x.json");
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteText(path, "x"));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }
}
