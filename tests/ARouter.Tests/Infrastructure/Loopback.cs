using System.Net;
using System.Net.Sockets;

namespace ARouter.Tests.Infrastructure;

public static class Loopback
{
    /// <summary>A port nothing listens on right now (the system's pick for a listener that is closed at once).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
