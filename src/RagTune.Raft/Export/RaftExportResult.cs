// What an export wrote.
namespace RagTune.Raft.Export;

public sealed record RaftExportResult(IReadOnlyList<string> Files, int TrainExamples, int TestExamples, int DuplicatesRemoved);
