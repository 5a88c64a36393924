// The web UI's JSON and files: served models, knowledge-base search, RAFT datasets (oracle marked, quotes), reports and
// loss curves — only files listed from the configured folders, never a path from the request.
using System.Net;
using System.Text.Json;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class UiApiTests(SharedServer shared)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private async Task<JsonElement> GetAsync(string url)
    {
        using var http = shared.Server.Http();
        var response = await http.GetAsync(url, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("utf-8", response.Content.Headers.ContentType!.CharSet);
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task Index_page_and_assets_are_served_as_utf8()
    {
        using var http = shared.Server.Http();
        var page = await http.GetAsync("/", Ct);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("退货政策是什么", await page.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/ui/app.js", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/ui/..%2FRagTune.Server.csproj", Ct)).StatusCode);
    }

    [Fact]
    public async Task Info_lists_models_by_kind_and_the_knowledge_bases()
    {
        var info = await GetAsync("/api/info");
        var kinds = info.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("kind").GetString());
        Assert.Equal("chat", kinds["tiny"]);
        Assert.Equal("adapter", kinds["tiny-lora"]);
        Assert.Equal("rag", kinds["rag:docs"]);
        Assert.Equal("router", kinds["assistant"]);
        Assert.Equal("embedding", kinds["embed"]);
        Assert.Equal(["docs"], info.GetProperty("knowledge_bases").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public async Task Knowledge_base_search_returns_highlighted_hits()
    {
        var result = await GetAsync("/api/kb/docs/search?q=" + Uri.EscapeDataString("保修") + "&k=2");
        var hit = result.GetProperty("hits")[0];
        string text = hit.GetProperty("passage").GetProperty("text").GetString()!;
        Assert.Equal("warranty-zh.md", hit.GetProperty("passage").GetProperty("source").GetString());
        var span = hit.GetProperty("highlights")[0];
        Assert.Equal("保修", text[span[0].GetInt32()..span[1].GetInt32()]);
    }

    [Fact]
    public async Task Raft_dataset_records_mark_the_oracle_and_the_quotes()
    {
        var files = await GetAsync("/api/datasets");
        Assert.Equal(["returns-raft.jsonl"], files.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        var page = await GetAsync("/api/datasets/returns-raft.jsonl?offset=1&limit=5");
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        var record = page.GetProperty("records").EnumerateArray().Single();
        Assert.Equal("电子产品的保修期是多久？", record.GetProperty("question").GetString());
        var docs = record.GetProperty("documents").EnumerateArray().ToList();
        Assert.Equal([true, false], docs.Select(d => d.GetProperty("oracle").GetBoolean()));
        Assert.Equal("warranty-zh.md", docs[0].GetProperty("title").GetString());
        Assert.Equal(["所有电子产品自购买之日起享有两年保修"], record.GetProperty("quotes").EnumerateArray().Select(q => q.GetString()));
        Assert.Equal("两年", record.GetProperty("final_answer").GetString());
    }

    [Theory]
    [InlineData("/api/datasets/..%2F..%2Fdocs%2Freturns.md")]
    [InlineData("/api/datasets/%2Fetc%2Fpasswd")]
    [InlineData("/files/reports/../datasets/returns-raft.jsonl")]
    [InlineData("/files/runs/..%2Freports%2Feval-report.html")]
    [InlineData("/api/kb/..%2Fdocs/search?q=x")]
    public async Task Paths_from_requests_are_never_opened(string url)
    {
        using var http = shared.Server.Http();
        var response = await http.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Reports_and_loss_curves_are_listed_and_served()
    {
        var reports = await GetAsync("/api/reports");
        Assert.Equal(["eval-report.html"], reports.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        var runs = await GetAsync("/api/runs");
        Assert.Equal(["run1/loss.svg"], runs.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        using var http = shared.Server.Http();
        var svg = await http.GetAsync("/files/runs/run1/loss.svg", Ct);
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);
        var report = await http.GetAsync("/files/reports/eval-report.html", Ct);
        Assert.Contains("准确率", await report.Content.ReadAsStringAsync(Ct));
        Assert.Contains("sandbox", report.Headers.GetValues("Content-Security-Policy").Single());
    }
}
