namespace Hygie.EndToEnd;

public sealed class SmokeTests(ConsoleHub hub) : IClassFixture<ConsoleHub>
{
    [Fact]
    public async Task Home_page_renders_in_french()
    {
        var page = await hub.PageAsync();
        await page.GotoAsync("/");
        Assert.Equal("Registre des projets de recherche", await page.Locator("h1").InnerTextAsync());
        await ConsoleHub.ShotAsync(page, "smoke-home");
    }
}
