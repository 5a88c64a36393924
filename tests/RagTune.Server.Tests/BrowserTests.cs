// The web UI in a real browser: Playwright (.NET) driving Debian's chromium headless. Asks questions (English and
// Chinese), sees the answer stream in with passages and citations, opens a citation; dataset, reports and runs pages.
// Screenshots go to screenshots/ in the test output folder.
using Microsoft.Playwright;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class BrowserTests(SharedServer shared) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async ValueTask InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing; install Debian's chromium and fonts-wqy-microhei (apt-get install -y chromium fonts-wqy-microhei)");
        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private async Task<IPage> OpenAsync()
    {
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 }, Locale = "zh-CN" });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(shared.Server.BaseAddress.ToString());
        await page.Locator("#kb-select option[value='docs']").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        return page;
    }

    [Theory]
    [InlineData("How many days do I have to return an unopened product?", "returns.md", "unopened product within 30 days", "chat-en")]
    [InlineData("电子产品的保修期是多久？", "warranty-zh.md", "所有电子产品自购买之日起享有两年保修", "chat-zh")]
    public async Task Ask_a_question_see_the_streamed_answer_and_open_a_citation(string question, string document, string passageText, string shot)
    {
        var page = await OpenAsync();
        await page.SelectOptionAsync("#kb-select", "docs");
        await page.FillAsync("#max-tokens", "24");
        await page.FillAsync("#chat-input", question);
        await page.ClickAsync("#send");

        var answer = page.Locator(".msg.assistant[data-done='true']");
        await answer.WaitForAsync();
        Assert.True(int.Parse(await answer.GetAttributeAsync("data-chunks") ?? "0") > 1, "the answer should arrive in several streamed chunks");
        Assert.Contains("Sources:", await answer.Locator(".text").InnerTextAsync());
        Assert.Equal(question, await page.Locator(".msg.user .text").InnerTextAsync());
        Assert.Contains(passageText, await page.Locator("#passages li").First.InnerTextAsync());

        var citation = answer.Locator(".citation").First;
        Assert.Contains(document, await citation.GetAttributeAsync("title") ?? "");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, shot + "-answer.png"), FullPage = true });
        await citation.ClickAsync();
        var dialog = page.Locator("#source-dialog");
        await dialog.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        Assert.Contains(document, await page.Locator("#source-meta").InnerTextAsync());
        Assert.Contains(passageText, await page.Locator("#source-text").InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, shot + "-citation.png") });
    }

    [Fact]
    public async Task Search_datasets_reports_and_runs_pages_show_their_content()
    {
        var page = await OpenAsync();
        await page.ClickAsync("#tabs button[data-tab='search']");
        await page.FillAsync("#search-q", "保修");
        await page.ClickAsync("#search-form button");
        var mark = page.Locator("#search-results mark").First;
        await mark.WaitForAsync();
        Assert.Equal("保修", await mark.InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "search.png") });

        await page.ClickAsync("#tabs button[data-tab='datasets']");
        await page.Locator(".record").First.WaitForAsync();
        Assert.Equal(2, await page.Locator(".record").CountAsync());
        Assert.Equal(2, await page.Locator(".doc.oracle").CountAsync());
        Assert.Equal("oracle", await page.Locator(".doc.oracle .badge").First.InnerTextAsync());
        Assert.Equal(3, await page.Locator(".doc:not(.oracle)").CountAsync());
        Assert.Contains("所有电子产品自购买之日起享有两年保修", await page.Locator("mark.quote").Nth(1).InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "datasets.png"), FullPage = true });

        await page.ClickAsync("#tabs button[data-tab='reports']");
        await page.ClickAsync("#report-list a");
        var frame = page.FrameLocator("#report-frame");
        await frame.Locator("h1").WaitForAsync();
        Assert.Contains("准确率", await frame.Locator("p").InnerTextAsync());

        await page.ClickAsync("#tabs button[data-tab='runs']");
        var img = page.Locator("#run-list img");
        await img.WaitForAsync();
        Assert.True(await img.EvaluateAsync<bool>("i => i.complete && i.naturalWidth === 320"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "runs.png") });
    }
}
