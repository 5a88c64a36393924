// One unit of work a WorkerPool runs in parts: part p of n takes its own static share (WorkerPool.Share).
namespace RagTune.Engine.Threading;

public interface IParallelWork
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/> (0 ≤ part &lt; parts). Each part runs exactly
    /// once per dispatch, on whichever pool thread claims it; parts must be independent.</summary>
    void Execute(int part, int parts);
}
