// What the Hub API says about one revision of a model repository: its commit and its files.
namespace RagTune.Engine.Hub;

/// <summary>One file of a repository: path, size in bytes and, for LFS files, the sha256 of the content.</summary>
public sealed record HubFile(string Path, long? Size, string? Sha256, string? GitBlobId);

public sealed record HubRepository(string RepoId, string Revision, string? CommitSha, IReadOnlyList<HubFile> Files);
