// Every CLI test runs the command in-process and swaps Console.Out/Error and environment variables,
// which are process-wide: the CLI tests therefore never run in parallel with each other.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
