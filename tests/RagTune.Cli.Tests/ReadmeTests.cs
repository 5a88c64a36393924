// The README states the test command's prerequisites at the top, next to the command: every apt package scripts/setup.sh
// installs, npm, and that the first run needs the network.
using System.Text.RegularExpressions;
using Xunit;

namespace RagTune.Cli.Tests;

public sealed partial class ReadmeTests
{
    private static string Data(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    [Fact]
    public void The_test_prerequisites_are_stated_beside_the_test_command()
    {
        string readme = Data("README.md");
        int command = readme.IndexOf("./test.sh", StringComparison.Ordinal);
        Assert.True(command >= 0, "README has no ./test.sh");
        // "At the top": between the test command and the first section of prose after it.
        int end = readme.IndexOf("RagTune points at", command, StringComparison.Ordinal);
        Assert.True(end > command, "README's introduction moved; update this test");
        string top = readme[command..end];

        var packages = AptPackage().Matches(Data("setup.sh")).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(packages);
        foreach (string package in packages) Assert.Contains($"`{package}`", top);
        Assert.Contains("npm", top);
        Assert.Contains("Network on the first run", top);
        Assert.Contains(".NET 10 SDK", top);
    }

    [GeneratedRegex(@"need\+=\(([a-z0-9.+-]+)\)")]
    private static partial Regex AptPackage();
}
