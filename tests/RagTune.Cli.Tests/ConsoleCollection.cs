// A test collection that runs alone: its tests swap the process-wide Console.Out/Error through CliHarness.
namespace RagTune.Cli.Tests;

/// <summary>The model command tests swap Console.Out through CliHarness; running them apart from every other test class
/// keeps tests that look at the real console (CliHarnessTests) from seeing a captured writer.</summary>
[Xunit.CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}
