// Test helpers for the jieba tests: the Debian dictionary (required: tests fail, not skip, without it) and fixtures.
using RagTune.Knowledge.Analysis;
using Xunit;

namespace RagTune.Knowledge.Tests.Analysis;

internal static class JiebaFixture
{
    public static string DictionaryPath
    {
        get
        {
            Assert.True(File.Exists(JiebaDictionary.DebianDictionaryPath),
                $"The jieba dictionary {JiebaDictionary.DebianDictionaryPath} is required by these tests: apt-get install python3-jieba.");
            return JiebaDictionary.DebianDictionaryPath;
        }
    }

    public static JiebaDictionary Shared => JiebaDictionary.GetShared(DictionaryPath);

    public static string TestData(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);
}
