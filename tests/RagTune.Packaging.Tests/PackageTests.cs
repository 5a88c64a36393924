// RagTune as its users get it: the repository packed into a local feed (every src project, one version), the `ragtune`
// tool installed from that feed with --tool-path and run on a Chinese knowledge base with a PDF while no /usr/bin
// program is reachable, and every sample under samples/ built and run against the packages (no project references).
// Slow (a full Release pack); one fixture packs once for all the tests here.
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using RagTune.Raft.Tests.Infrastructure;
using Xunit;

namespace RagTune.Packaging.Tests;

public sealed class PackageTests(PackageTests.PackedRepository packed) : IClassFixture<PackageTests.PackedRepository>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Every_src_project_packs_with_the_shared_metadata_and_symbols()
    {
        var projects = Directory.GetDirectories(Path.Combine(PackedRepository.RepositoryRoot, "src"))
            .Where(d => Directory.EnumerateFiles(d, "*.csproj").Any()).Select(Path.GetFileName).ToList();
        Assert.Contains("RagTune.Knowledge", projects);
        foreach (string id in projects.OfType<string>())
        {
            string nupkg = Path.Combine(packed.Feed, $"{id}.{packed.Version}.nupkg");
            Assert.True(File.Exists(nupkg), $"{id}: no {Path.GetFileName(nupkg)} in the feed");
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"{id}: no symbol package");
            using var zip = ZipFile.OpenRead(nupkg);
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var meta = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Field(string name) => meta.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            Assert.Equal(id, Field("id"));
            Assert.Equal(packed.Version, Field("version"));
            Assert.Equal("MIT", Field("license"));
            Assert.False(string.IsNullOrWhiteSpace(Field("description")), $"{id}: no description");
            Assert.Equal("README.md", Field("readme"));
            Assert.Contains(zip.Entries, e => e.FullName == "README.md");
            Assert.Equal("git", meta.Elements().Single(e => e.Name.LocalName == "repository").Attribute("type")?.Value);
            if (id == "RagTune.Knowledge")
                Assert.Contains(zip.Entries, e => e.FullName == "licenses/LICENSE.jieba");
        }
    }

    [Fact]
    public async Task The_tool_installs_from_the_feed_and_runs_jieba_and_pdf_without_os_packages()
    {
        string tools = Path.Combine(packed.Root, "tool");
        var install = await packed.DotnetAsync(["tool", "install", "RagTune.Cli", "--tool-path", tools, "--version", packed.Version], packed.Root);
        Assert.True(install.ExitCode == 0, install.Output);
        string ragtune = Path.Combine(tools, OperatingSystem.IsWindows() ? "ragtune.exe" : "ragtune");
        Assert.True(File.Exists(ragtune), $"no {ragtune}: {install.Output}");

        string docs = Path.Combine(packed.Root, "tool-docs");
        Directory.CreateDirectory(docs);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "docs", "zh-two-pages.pdf"), Path.Combine(docs, "overview.pdf"));
        await File.WriteAllTextAsync(Path.Combine(docs, "notes.md"), "# 说明\n\n清华大学的知识库支持结巴分词。\n", Ct);
        string kb = Path.Combine(packed.Root, "tool-kb");

        // Only the dotnet host is reachable: no pdftotext, no python, nothing else from /usr/bin.
        var env = new Dictionary<string, string?>
        {
            ["PATH"] = string.Join(Path.PathSeparator, PackedRepository.DotnetDirectory, tools),
            ["DOTNET_ROOT"] = PackedRepository.DotnetDirectory,
        };
        var create = await Run.ProcessAsync(ragtune, ["kb", "create", kb], packed.Root, env, TimeSpan.FromMinutes(2));
        Assert.True(create.ExitCode == 0, create.Output);
        Assert.Contains("chinese: jieba (built-in dictionary)", create.Output, StringComparison.Ordinal);

        var add = await Run.ProcessAsync(ragtune, ["kb", "add", kb, docs], packed.Root, env, TimeSpan.FromMinutes(2));
        Assert.True(add.ExitCode == 0, add.Output);

        var search = await Run.ProcessAsync(ragtune, ["kb", "search", kb, "混合检索 结巴分词"], packed.Root, env, TimeSpan.FromMinutes(2));
        Assert.True(search.ExitCode == 0, search.Output);
        Assert.Contains("overview.pdf", search.Output, StringComparison.Ordinal);
        var clean = await Run.ProcessAsync(ragtune, ["kb", "search", kb, "清华大学"], packed.Root, env, TimeSpan.FromMinutes(2));
        Assert.True(clean.ExitCode == 0, clean.Output);
        Assert.Contains("notes.md", clean.Output, StringComparison.Ordinal);

        // The knowledge base records no path under /usr: the dictionary is the built-in one.
        foreach (string file in Directory.EnumerateFiles(kb, "*.json", SearchOption.AllDirectories))
            Assert.DoesNotContain("/usr/", await File.ReadAllTextAsync(file, Ct), StringComparison.Ordinal);
    }

    public static TheoryData<string> Samples() => new(SampleNames());

    /// <summary>The folders under samples/ that hold a project.</summary>
    private static IEnumerable<string> SampleNames() =>
        Directory.GetDirectories(Path.Combine(PackedRepository.RepositoryRoot, "samples")).Order(StringComparer.Ordinal)
            .Where(dir => Directory.EnumerateFiles(dir, "*.csproj").Any()).Select(dir => Path.GetFileName(dir)!);

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Sample_builds_against_the_packages_and_prints_its_expected_output(string sample)
    {
        string dir = Path.Combine(packed.Root, "samples", sample);
        string expectedPath = Path.Combine(dir, "expected-output.txt");
        Assert.True(File.Exists(expectedPath), $"samples/{sample} has no expected-output.txt");
        string project = File.ReadAllText(Directory.EnumerateFiles(dir, "*.csproj").Single());
        Assert.DoesNotContain("ProjectReference", project, StringComparison.Ordinal);

        await using var teacher = await ScriptedOpenAIServer.StartAsync();
        string model = Path.Combine(packed.Root, $"model-{sample}");
        CopyDirectory(Path.Combine(AppContext.BaseDirectory, "TestData", "models", "qwen2-tiny"), model);
        var env = new Dictionary<string, string?>
        {
            ["MODEL_DIR"] = model,
            ["OPENAI_BASE_URL"] = teacher.BaseUrl.ToString(),
            ["OPENAI_API_KEY"] = "sample-key",
            ["TEACHER_MODEL"] = "scripted-teacher",
        };
        var result = await packed.DotnetAsync(["run", "--project", dir, "-c", "Release", $"-p:RagTuneVersion={packed.Version}"], dir, env);
        TestContext.Current.TestOutputHelper?.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, $"samples/{sample} exited with {result.ExitCode}:\n{result.Output}");

        // Every non-empty line of expected-output.txt appears in the output, in order.
        int at = 0;
        foreach (string line in File.ReadAllLines(expectedPath).Where(l => l.Trim().Length > 0))
        {
            int found = result.Output.IndexOf(line, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"samples/{sample}: expected \"{line}\" (after offset {at}) in its output:\n{result.Output}");
            at = found + line.Length;
        }
    }

    [Fact]
    public void Library_docs_quote_the_samples_verbatim()
    {
        // docs/library.md marks each quoted program with <!-- sample: PATH ... --> and the ```csharp block after it.
        string doc = File.ReadAllText(Path.Combine(PackedRepository.RepositoryRoot, "docs", "library.md")).ReplaceLineEndings("\n");
        var quotes = Regex.Matches(doc, @"<!-- sample: (\S+) [^\n]*-->\n```csharp\n(.*?)\n```", RegexOptions.Singleline);
        foreach (Match quote in quotes)
        {
            string path = Path.Combine(PackedRepository.RepositoryRoot, quote.Groups[1].Value);
            Assert.True(File.Exists(path), $"docs/library.md quotes {quote.Groups[1].Value}, which does not exist");
            Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n").TrimEnd('\n'), quote.Groups[2].Value);
        }
        // And every sample is quoted: the quick start shows all of them (and the samples run every snippet it shows).
        var quoted = quotes.Select(q => q.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        foreach (string sample in SampleNames())
            Assert.True(quoted.Contains($"samples/{sample}/Program.cs"), $"docs/library.md does not quote samples/{sample}/Program.cs; expected a <!-- sample: … --> block for every sample");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>
    /// The repository's src/, samples/ and build files copied to a temporary folder (so the pack never races the build of
    /// the checkout), packed into a local feed at a version unique to this run, with a nuget.config that adds the feed to
    /// the machine's usual sources and a private package folder that falls back to the user's one for third-party packages.
    /// </summary>
    public sealed class PackedRepository : IAsyncLifetime
    {
        public static string RepositoryRoot { get; } = FindRepositoryRoot();

        /// <summary>The real folder of the dotnet host (a /usr/bin/dotnet link resolved), the only folder the tool gets on PATH.</summary>
        public static string DotnetDirectory { get; } = Path.GetDirectoryName(DotnetHost)!;

        private static string DotnetHost { get; } = ResolveLinks(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host
            ? host : FindOnPath("dotnet"));

        public string Root { get; } = Path.Combine(Path.GetTempPath(), $"ragtune-pack-{Guid.NewGuid():N}");

        public string Feed => Path.Combine(Root, "feed");

        public string Version { get; private set; } = "";

        public async ValueTask InitializeAsync()
        {
            Directory.CreateDirectory(Root);
            Directory.CreateDirectory(Feed);
            foreach (string file in new[] { "Directory.Build.props", "Directory.Packages.props", "version.props" })
                File.Copy(Path.Combine(RepositoryRoot, file), Path.Combine(Root, file));
            foreach (string folder in new[] { "src", "samples" })
                CopySources(Path.Combine(RepositoryRoot, folder), Path.Combine(Root, folder));

            string baseVersion = XDocument.Load(Path.Combine(RepositoryRoot, "version.props")).Descendants("RagTuneVersion").Single().Value;
            Version = $"{baseVersion}-packtest.{DateTime.UtcNow:yyyyMMddHHmmss}";
            string userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } np
                ? np : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(Root, "packages")}" />
                  </config>
                  <packageSources>
                    <add key="ragtune-local" value="{Feed}" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="user" value="{userPackages}" />
                  </fallbackPackageFolders>
                </configuration>
                """);
            var solution = new StringBuilder("<Solution>\n");
            foreach (string csproj in Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                solution.Append($"  <Project Path=\"{Path.GetRelativePath(Root, csproj)}\" />\n");
            File.WriteAllText(Path.Combine(Root, "packages.slnx"), solution.Append("</Solution>\n").ToString());

            var pack = await DotnetAsync(["pack", "packages.slnx", "-c", "Release", "-o", Feed, $"-p:RagTuneVersion={Version}"], Root, timeout: TimeSpan.FromMinutes(25));
            if (pack.ExitCode != 0) throw new InvalidOperationException($"dotnet pack failed with {pack.ExitCode}:\n{pack.Output}");
        }

        public ValueTask DisposeAsync()
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a finished child process: the temp folder is left for the OS to clean.
            }
            return ValueTask.CompletedTask;
        }

        internal Task<Run.Result> DotnetAsync(IReadOnlyList<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? env = null, TimeSpan? timeout = null)
        {
            var all = new Dictionary<string, string?>(env ?? new Dictionary<string, string?>())
            {
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
                // The test host's MSBuild settings must not leak into the child builds.
                ["MSBuildExtensionsPath"] = null,
                ["MSBuildSDKsPath"] = null,
                ["MSBUILD_EXE_PATH"] = null,
            };
            return Run.ProcessAsync(DotnetHost, args, workingDirectory, all, timeout ?? TimeSpan.FromMinutes(10));
        }

        private static void CopySources(string from, string to)
        {
            foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(from, file);
                var parts = relative.Split(Path.DirectorySeparatorChar);
                if (parts.Any(p => p is "bin" or "obj")) continue;
                string target = Path.Combine(to, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        private static string FindRepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "RagTune.slnx")))
                    return dir.FullName;
            throw new InvalidOperationException($"no RagTune.slnx above {AppContext.BaseDirectory}; the packaging tests run from the repository's build output");
        }

        private static string ResolveLinks(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

        private static string FindOnPath(string name)
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                string candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? name + ".exe" : name);
                if (File.Exists(candidate)) return Path.GetFullPath(candidate);
            }
            throw new InvalidOperationException($"'{name}' is not on PATH; the packaging tests need the .NET SDK's dotnet host");
        }
    }
}
