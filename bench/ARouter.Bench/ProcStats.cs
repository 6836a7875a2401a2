namespace ARouter.Bench;

/// <summary>What Linux's <c>/proc</c> says about a process: CPU time (user + system) and resident memory.</summary>
public static class ProcStats
{
    /// <summary>USER_HZ: /proc reports CPU time in these ticks (100 per second on every Linux we run on).</summary>
    private const double TicksPerSecond = 100.0;

    public static TimeSpan CpuTime(int pid) => TimeSpan.FromSeconds(CpuTicks(File.ReadAllText($"/proc/{pid}/stat")) / TicksPerSecond);

    /// <summary>utime + stime of a <c>/proc/&lt;pid&gt;/stat</c> line, in USER_HZ ticks.</summary>
    public static long CpuTicks(string stat)
    {
        // Fields after the ")" that ends the command name (which may itself hold spaces and parentheses): state is
        // field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
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

    /// <summary>Every thread's children: a child belongs to the thread that forked it (nginx's master forks from its only one).</summary>
    public static IEnumerable<int> Children(int pid) =>
        Directory.EnumerateDirectories($"/proc/{pid}/task")
            .SelectMany(task => ChildrenOf(Path.Combine(task, "children")))
            .ToList();

    private static IEnumerable<int> ChildrenOf(string taskChildren)
    {
        try
        {
            return File.ReadAllText(taskChildren).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        }
        catch (IOException)
        {
            return []; // the thread ended meanwhile
        }
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
