// Hostile and unlucky requests: a body that is not UTF-8 is a 400 naming the bad byte (never a 500), a router rule whose
// regex times out falls through to the next rule or the default, and no answer or error shows a server folder.
using System.Net;
using System.Text;
using System.Text.Json;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class RequestErrorTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static async Task<TestServer> ScriptedAsync(Func<IReadOnlyList<Microsoft.Extensions.AI.ChatMessage>, string> reply)
    {
        var services = new ServerServices();
        services.ChatClients["m"] = new ScriptedChatClient(reply);
        return await TestServer.StartAsync(new ServerOptions { Models = [new ModelEntry { Name = "m", Kind = "chat", Path = "/srv/models/secret-m" }] }, services);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Error)> PostAsync(TestServer server, string path, byte[] body)
    {
        using var http = server.Http();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        var response = await http.PostAsync(path, content, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error"));
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/embeddings")]
    public async Task A_body_that_is_not_utf8_is_a_400_naming_the_byte(string path)
    {
        await using var server = await ScriptedAsync(_ => "ok");
        byte[] head = Encoding.UTF8.GetBytes("""{"model":"m","input":"a","messages":[{"role":"user","content":"ab""");
        byte[] body = [.. head, 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\"}]}")];
        var (status, error) = await PostAsync(server, path, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal($"the request body is not valid UTF-8 (byte 0xFF at offset {head.Length}); expected UTF-8 encoded JSON", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_server_error_does_not_show_server_paths()
    {
        await using var server = await ScriptedAsync(_ => throw new IOException("/srv/models/secret-m/model.safetensors: read failed at 'C:\\models\\x\\y.bin'"));
        byte[] body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
        var (status, error) = await PostAsync(server, "/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        string message = error.GetProperty("message").GetString()!;
        Assert.DoesNotContain("/srv", message);
        Assert.DoesNotContain("models\\x", message);
        Assert.Contains("model.safetensors: read failed at 'y.bin'", message);
    }

    [Fact]
    public async Task The_model_list_shows_names_not_folders()
    {
        await using var server = await ScriptedAsync(_ => "ok");
        using var http = server.Http();
        string list = await http.GetStringAsync("/v1/models", Ct);
        string one = await http.GetStringAsync("/v1/models/m", Ct);
        Assert.DoesNotContain("/srv", list);
        Assert.DoesNotContain("/srv", one);
        Assert.Equal("secret-m", JsonDocument.Parse(one).RootElement.GetProperty("root").GetString());
    }

    [Fact]
    public void A_rule_whose_regex_times_out_falls_through_to_the_next_rule_and_the_default()
    {
        // Catastrophic backtracking: far beyond the rule's 100 ms budget on this input.
        var router = ConfiguredRouter.Rules("assistant",
        [
            new RouteRule { Pattern = @"^(\w+\s?)*$", Target = "slow" },
            new RouteRule { Keywords = ["refund"], Target = "rag:docs" },
        ]);
        string hostile = string.Concat(Enumerable.Repeat("word ", 30)) + "!";
        Assert.Null(router.Route(hostile)); // no rule decides: the router's default answers
        Assert.Equal("rag:docs", router.Route(hostile + " refund"));
        Assert.Equal("slow", router.Route("plain words"));
    }
}
