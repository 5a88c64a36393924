// Default model ids: the repository id for folders that `ragtune pull` created, the folder name otherwise.
using RagTune.Engine.AI;
using RagTune.Engine.Hub;
using Xunit;

namespace RagTune.Engine.Tests.AI;

public class ModelIdsTests
{
    [Theory]
    [InlineData("Qwen/Qwen2.5-0.5B-Instruct", "main", "Qwen/Qwen2.5-0.5B-Instruct")]
    [InlineData("BAAI/bge-small-zh-v1.5", "refs/pr/3", "BAAI/bge-small-zh-v1.5@refs/pr/3")]
    public void Pulled_folders_are_named_by_their_repository(string repo, string revision, string expected)
    {
        string dir = HubDownloader.GetLocalDirectory(repo, new HubPullOptions { CacheDirectory = Path.GetTempPath(), Revision = revision });
        Assert.Equal(expected, ModelIds.FromDirectory(dir));
        Assert.Equal(expected, ModelIds.FromDirectory(dir + Path.DirectorySeparatorChar));
    }

    [Fact]
    public void Other_folders_are_named_by_themselves()
    {
        Assert.Equal("qwen2-tiny", ModelIds.FromDirectory(Path.Combine(Path.GetTempPath(), "models", "qwen2-tiny")));
        Assert.Equal("student", ModelIds.FromDirectory(Path.Combine(Path.GetTempPath(), "--odd", "student")));
    }
}
