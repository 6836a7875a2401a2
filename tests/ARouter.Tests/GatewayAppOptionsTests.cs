using System.Globalization;
using System.Reflection;
using ARouter.Billing;
using ARouter.Dashboard;
using ARouter.Hosting;
using ARouter.Limits;
using ARouter.Passthrough;
using ARouter.Routing;
using ARouter.Scaling;
using ARouter.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ARouter.Tests;

/// <summary>
/// Every setting of every options section reaches the gateway. The options are bound by generated code (as an
/// ahead-of-time build must), which silently skips a property it cannot set — an init-only one, say.
/// </summary>
public sealed class GatewayAppOptionsTests
{
    public static TheoryData<Type, string> Sections => new()
    {
        { typeof(GatewayOptions), "ARouter" },
        { typeof(UpstreamOptions), "ARouter:Upstream" },
        { typeof(RateLimitOptions), "ARouter:Limits" },
        { typeof(AutoOptions), "ARouter:Auto" },
        { typeof(TokenizerOptions), "ARouter:Tokenizer" },
        { typeof(HealthOptions), "ARouter:Health" },
        { typeof(MediaOptions), "ARouter:Media" },
        { typeof(ShutdownOptions), "ARouter:Shutdown" },
        { typeof(PassthroughOptions), "ARouter:Passthrough" },
        { typeof(DashboardOptions), "ARouter:Dashboard" },
        { typeof(RedisOptions), "ARouter:Redis" },
    };

    [Theory]
    [MemberData(nameof(Sections))]
    public void Every_setting_of_a_section_is_bound(Type optionsType, string section)
    {
        // Redis's section is read only when one is named; building the services connects to nothing.
        var settings = new Dictionary<string, string?> { [RedisOptions.EnvironmentVariable] = "127.0.0.1:1" };
        var expected = new List<(string Path, object? Value)>();
        Plan(optionsType, section, settings, expected);
        Assert.NotEmpty(expected);

        using var provider = Gateway(settings);
        var bound = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(optionsType));
        var options = bound.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(bound);

        Assert.All(expected, e => Assert.Equal(e.Value, Read(options, e.Path[(section.Length + 1)..])));
    }

    [Fact]
    public void Per_provider_settings_match_the_provider_in_any_case_as_environment_variables_spell_it()
    {
        using var provider = Gateway(new Dictionary<string, string?>
        {
            ["ARouter:Passthrough:ProviderReservationUsd:DEEPSEEK"] = "0.75",
            ["ARouter:Upstream:Providers:DEEPSEEK:TotalTimeoutSeconds"] = "42",
        });

        Assert.Equal(0.75m, provider.GetRequiredService<IOptions<PassthroughOptions>>().Value.ReservationUsdFor("deepseek"));
        Assert.Equal(TimeSpan.FromSeconds(42), provider.GetRequiredService<IOptions<UpstreamOptions>>().Value.TimeoutsFor("deepseek").Total);
    }

    /// <summary>For each settable property: a value unlike its default, as configuration text, and what it should read back as.</summary>
    private static void Plan(Type type, string prefix, Dictionary<string, string?> settings, List<(string, object?)> expected)
    {
        var defaults = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            var path = prefix + ":" + property.Name;
            var kind = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var current = property.GetValue(defaults);
            object? value = kind switch
            {
                _ when kind == typeof(int) => (int)(current ?? 0) + 7,
                _ when kind == typeof(long) => (long)(current ?? 0L) + 7,
                _ when kind == typeof(double) => (double)(current ?? 0d) + 0.5,
                _ when kind == typeof(decimal) => (decimal)(current ?? 0m) + 1.25m,
                _ when kind == typeof(bool) => !(bool)(current ?? false),
                _ when kind == typeof(string) => "set-" + property.Name.ToLowerInvariant(),
                _ => null,
            };
            if (value is not null)
            {
                settings[path] = Convert.ToString(value, CultureInfo.InvariantCulture);
                expected.Add((path, value));
            }
            else if (kind.IsGenericType && kind.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var valueType = kind.GetGenericArguments()[1];
                if (valueType == typeof(decimal))
                {
                    settings[path + ":deepseek"] = "0.75";
                    expected.Add((path + ":deepseek", 0.75m));
                }
                else Plan(valueType, path + ":deepseek", settings, expected);
            }
            else if (kind.IsClass && kind.GetConstructor(Type.EmptyTypes) is not null && property.GetMethod!.IsPublic && !kind.Namespace!.StartsWith("System", StringComparison.Ordinal))
                Plan(kind, path, settings, expected);
        }
    }

    /// <summary>Follows a configuration path (properties, dictionary keys) through the bound options.</summary>
    private static object? Read(object? target, string path)
    {
        foreach (var name in path.Split(':'))
        {
            if (target is System.Collections.IDictionary dictionary) target = dictionary[name];
            else target = target!.GetType().GetProperty(name)!.GetValue(target);
        }
        return target;
    }

    /// <summary>The gateway's services as <see cref="GatewayApp.AddServices"/> registers them, over these settings.</summary>
    private static ServiceProvider Gateway(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        GatewayApp.AddServices(services, new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }
}
