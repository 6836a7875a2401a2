using System.Diagnostics;

namespace ARouter.Bench;

/// <summary>nginx as "a proxy that does nothing": a plain reverse proxy to the fake upstream, keep-alive, no buffering (SSE).</summary>
public sealed class NginxProxy : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nginx";
    private readonly Process _process;

    public int Port { get; }
    public int Pid => _process.Id;

    private NginxProxy(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public static async Task<NginxProxy?> StartAsync(string workDir, int port, int upstreamPort)
    {
        if (!File.Exists(Binary)) return null;
        var prefix = Path.Combine(workDir, "nginx");
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var conf = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(conf, $$"""
            daemon off;
            master_process on;
            worker_processes auto;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/logs/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                upstream fake { server 127.0.0.1:{{upstreamPort}}; keepalive 128; }
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        proxy_pass http://fake;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering off;
                    }
                }
            }
            """);
        var process = Process.Start(new ProcessStartInfo(Binary, ["-p", prefix, "-e", Path.Combine(prefix, "logs", "error.log"), "-c", conf]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start nginx");
        var proxy = new NginxProxy(process, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 50; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"nginx exited ({process.ExitCode}); see {prefix}/logs/error.log");
            try
            {
                await http.GetAsync($"http://127.0.0.1:{port}/");
                return proxy;
            }
            catch (HttpRequestException) { await Task.Delay(100); }
        }
        throw new TimeoutException("nginx did not start listening");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
