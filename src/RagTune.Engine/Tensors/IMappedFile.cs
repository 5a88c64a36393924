// A weight file mapped into memory that matrices read in place (WeightMatrix keeps a reference, so the mapping lives as
// long as any matrix pointing into it, and checks it before each use).
namespace RagTune.Engine.Tensors;

public interface IMappedFile
{
    string Path { get; }

    /// <summary>True once disposed: pointers into the mapping are no longer valid.</summary>
    bool IsDisposed { get; }
}
