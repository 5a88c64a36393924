// Counts the teacher calls of one unit of work (a chunk, a distillation item) and feeds the run-wide meter as replies arrive.
using RagTune.Raft.Teachers;

namespace RagTune.Raft.Costs;

internal sealed class UsageScope(ITeacher teacher, PriceTable prices, UsageMeter meter)
{
    private readonly object _lock = new();

    public long Calls { get; private set; }

    public long Input { get; private set; }

    public long Output { get; private set; }

    public decimal Cost { get; private set; }

    public async Task<TeacherReply> AskAsync(TeacherRequest request, CancellationToken cancellationToken)
    {
        var reply = await teacher.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        var cost = prices.Cost(teacher.ModelName, reply.Usage.InputTokens, reply.Usage.OutputTokens);
        lock (_lock)
        {
            Calls++;
            Input += reply.Usage.InputTokens;
            Output += reply.Usage.OutputTokens;
            Cost += cost;
        }
        meter.Add(1, reply.Usage.InputTokens, reply.Usage.OutputTokens, cost);
        return reply;
    }
}
