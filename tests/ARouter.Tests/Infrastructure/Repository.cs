namespace ARouter.Tests.Infrastructure;

/// <summary>This checkout, found from the test binaries upwards (they live under its <c>tests/*/bin</c>).</summary>
public static class Repository
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "src", "ARouter", "ARouter.csproj"))) return directory.FullName;
        throw new InvalidOperationException("The repository (src/ARouter/ARouter.csproj) is not above " + AppContext.BaseDirectory);
    }
}
