// Decides which served pipeline answers a question (e.g. arithmetic → a plain model, domain questions → rag:<kb>).
namespace RagTune.Server.Routing;

public interface IIntentRouter
{
    /// <summary>The served model name that should answer <paramref name="question"/>.</summary>
    Task<string> RouteAsync(string question, CancellationToken cancellationToken);
}
