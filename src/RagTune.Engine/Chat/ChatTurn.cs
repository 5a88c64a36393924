// One message of a conversation as the chat templates see it: a role ("system", "user", "assistant", "tool") and text.
namespace RagTune.Engine.Chat;

public sealed record ChatTurn(string Role, string Content);
