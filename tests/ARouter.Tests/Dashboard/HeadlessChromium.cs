using ARouter.Tests.Infrastructure;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace ARouter.Tests.Dashboard;

/// <summary>A fact that drives Debian's chromium through its chromium-driver; skipped without them on a dev machine, failed under CI.</summary>
public sealed class NeedsChromiumFactAttribute() : NeedsBinaryFactAttribute(HeadlessChromium.Found, "chromium chromium-driver");

/// <summary>
/// Debian's Chromium in headless mode, driven by its matching chromedriver through Selenium — both from
/// the distribution, nothing downloaded at run time. Each instance gets a fresh profile that is deleted after.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public static readonly string? BrowserPath = ExternalBinary.Find("chromium", "/usr/bin/chromium");
    public static readonly string? DriverPath = ExternalBinary.Find("chromedriver", "/usr/bin/chromedriver");
    public static string? Found => BrowserPath is not null && DriverPath is not null ? BrowserPath : null;

    private readonly string _profile = Path.Combine(Path.GetTempPath(), "arouter-tests", "chromium-" + Guid.NewGuid().ToString("n"));
    private readonly ChromeDriverService _service;

    public HeadlessChromium(int width = 1280, int height = 900)
    {
        if (BrowserPath is null || DriverPath is null) throw new InvalidOperationException("chromium and chromedriver are required (apt-get install chromium chromium-driver).");
        Directory.CreateDirectory(_profile);
        _service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        _service.SuppressInitialDiagnosticInformation = true;
        _service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--disable-extensions", "--metrics-recording-only", "--password-store=basic", $"--user-data-dir={_profile}", $"--window-size={width},{height}");
        Driver = new ChromeDriver(_service, options, TimeSpan.FromSeconds(120));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(60);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
        // Headless windows have a minimum width; a phone's viewport is emulated instead.
        if (width < 600)
            Driver.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?> { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 2, ["mobile"] = true });
    }

    public ChromeDriver Driver { get; }

    /// <summary>Where screenshots go: <c>screenshots/</c> in the test output, and also <c>AROUTER_SCREENSHOTS_DIR</c> when set.</summary>
    public void Screenshot(string name)
    {
        var shot = Driver.GetScreenshot();
        foreach (var directory in new[] { Path.Combine(AppContext.BaseDirectory, "screenshots"), Environment.GetEnvironmentVariable("AROUTER_SCREENSHOTS_DIR") })
        {
            if (string.IsNullOrEmpty(directory)) continue;
            Directory.CreateDirectory(directory);
            shot.SaveAsFile(Path.Combine(directory, name + ".png"));
        }
    }

    /// <summary>A screenshot of the whole page, however long, by growing the window to the document's height first.</summary>
    public void FullPageScreenshot(string name)
    {
        var window = Driver.Manage().Window;
        var original = window.Size;
        var height = Convert.ToInt32(Driver.ExecuteScript("return Math.ceil(document.documentElement.scrollHeight)"));
        window.Size = new System.Drawing.Size(original.Width, Math.Clamp(height + 120, original.Height, 4000));
        Screenshot(name);
        window.Size = original;
    }

    public void Dispose()
    {
        try { Driver.Quit(); } catch (WebDriverException) { }
        Driver.Dispose();
        _service.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
