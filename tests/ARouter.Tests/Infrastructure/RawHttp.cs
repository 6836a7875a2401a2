using System.Net.Sockets;
using System.Text;

namespace ARouter.Tests.Infrastructure;

/// <summary>HTTP/1.1 over a bare socket, for requests no well-behaved client would send (bad bytes in headers, slow senders).</summary>
public static class RawHttp
{
    public static async Task<TcpClient> ConnectAsync(Uri server)
    {
        var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        return client;
    }

    /// <summary>Sends the bytes as they are, then reads until the server closes the connection.</summary>
    public static async Task<string> ExchangeAsync(Uri server, byte[] request)
    {
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        return (await ReadUntilClosedAsync(stream, TimeSpan.FromSeconds(30))).Response;
    }

    /// <summary>Reads until the server closes the connection (or the patience runs out) and returns what it sent.</summary>
    public static async Task<(string Response, bool Closed)> ReadUntilClosedAsync(NetworkStream stream, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.Write(buffer, 0, read);
            return (Encoding.Latin1.GetString(received.ToArray()), true);
        }
        catch (IOException)
        {
            return (Encoding.Latin1.GetString(received.ToArray()), true);
        }
        catch (OperationCanceledException)
        {
            return (Encoding.Latin1.GetString(received.ToArray()), false);
        }
    }
}
