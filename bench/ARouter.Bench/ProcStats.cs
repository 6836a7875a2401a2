namespace ARouter.Bench;

/// <summary>What Linux's <c>/proc</c> says about a process: CPU time (user + system) and resident memory.</summary>
public static class ProcStats
{
    /// <summary>USER_HZ: /proc reports CPU time in these ticks (100 per second on every Linux we run on).</summary>
    private const double TicksPerSecond = 100.0;

    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>CPU time of a process and its direct children (nginx's workers).</summary>
    public static TimeSpan CpuTimeWithChildren(int pid)
    {
        var total = CpuTime(pid);
        foreach (var child in Children(pid))
        {
            try { total += CpuTime(child); } catch (IOException) { }
        }
        return total;
    }

    public static IEnumerable<int> Children(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        if (!File.Exists(path)) return [];
        return File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
    }

    /// <summary>VmRSS (now) and VmHWM (peak so far), in MiB.</summary>
    public static (double Rss, double Peak) Memory(int pid)
    {
        double rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:")) rss = Kib(line) / 1024.0;
            else if (line.StartsWith("VmHWM:")) peak = Kib(line) / 1024.0;
        }
        return (rss, peak);
    }

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

    private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
