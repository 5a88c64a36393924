// One unit of work a WorkerPool runs on all its workers at once; worker w of n takes its own static share.
namespace RagTune.Engine.Threading;

public interface IParallelWork
{
    /// <summary>Runs worker <paramref name="worker"/>'s share (0 ≤ worker &lt; workers). Called once per worker per dispatch.</summary>
    void Execute(int worker, int workers);
}
