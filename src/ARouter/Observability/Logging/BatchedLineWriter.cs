using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace ARouter.Observability.Logging;

/// <summary>
/// Collects log entries from any thread and writes them to a stream in batches from one background thread: the
/// request thread only enqueues a pooled entry (no formatting, no string, no wake-up in the common case); the writer
/// sleeps until the first line arrives, waits <see cref="ConsoleLogOptions.FlushDelay"/> for more, then formats them
/// all as UTF-8 into one buffer and writes it with one call. A warning or worse, a batch of
/// <see cref="ConsoleLogOptions.BatchLines"/> lines or a full queue cuts the wait short. The queue is bounded: when it
/// holds <see cref="ConsoleLogOptions.QueueCapacity"/> lines (the stream is not being drained), callers wait for room,
/// as the default console logger's do; no line is dropped. Disposing writes every queued line first.
/// </summary>
internal sealed class BatchedLineWriter : IAsyncLogProcessor, IDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly Stream _output;
    private readonly IZLoggerFormatter _formatter;
    private readonly ConsoleLogOptions _options;
    private readonly ConcurrentQueue<IZLoggerEntry> _queue = new();
    private readonly ManualResetEventSlim _hasLines = new(false);
    private readonly ManualResetEventSlim _flushNow = new(false);
    private readonly ArrayBufferWriter<byte> _batch = new(64 * 1024);
    private readonly Lock _writeLock = new();
    private readonly object _roomLock = new(); // Monitor.Wait / PulseAll: callers waiting for room in a full queue
    private readonly Thread _thread;
    // Incremented before an entry is enqueued and decremented after it is dequeued, so it never undercounts the queue.
    private int _count;
    private volatile bool _stopping;
    private volatile bool _stopped;

    public BatchedLineWriter(Stream output, IZLoggerFormatter formatter, ConsoleLogOptions options)
    {
        _output = output;
        _formatter = formatter;
        _options = options;
        _thread = new Thread(WriteLoop) { IsBackground = true, Name = "ARouter log writer" };
        _thread.Start();
    }

    public void Post(IZLoggerEntry log)
    {
        if (_stopped)
        {
            // Lines logged while the host is being disposed, after the writer has finished: write them at once.
            lock (_writeLock)
            {
                Append(log);
                WriteBatch();
            }
            return;
        }
        var count = Interlocked.Increment(ref _count);
        _queue.Enqueue(log);
        if (count == 1) _hasLines.Set();
        if (log.LogInfo.LogLevel >= LogLevel.Warning || count == _options.BatchLines) _flushNow.Set();
        if (count > _options.QueueCapacity) WaitForRoom();
        // The writer may have made its last pass between the check above and the enqueue.
        if (_stopped) lock (_writeLock) Drain();
    }

    private void WaitForRoom()
    {
        _flushNow.Set();
        lock (_roomLock)
        {
            while (Volatile.Read(ref _count) > _options.QueueCapacity && !_stopped) Monitor.Wait(_roomLock, TimeSpan.FromMilliseconds(100));
        }
    }

    private void WriteLoop()
    {
        while (true)
        {
            if (Volatile.Read(ref _count) == 0)
            {
                if (_stopping) break;
                _hasLines.Wait();
            }
            if (!_stopping) _flushNow.Wait(_options.FlushDelay);
            _hasLines.Reset();
            _flushNow.Reset();
            lock (_writeLock) Drain();
            lock (_roomLock) Monitor.PulseAll(_roomLock);
        }
        _stopped = true;
        lock (_writeLock) Drain();
        lock (_roomLock) Monitor.PulseAll(_roomLock);
    }

    private void Drain()
    {
        while (_queue.TryDequeue(out var entry))
        {
            Interlocked.Decrement(ref _count);
            Append(entry);
            if (_batch.WrittenCount >= _options.BatchBytes) WriteBatch();
        }
        WriteBatch();
    }

    private void Append(IZLoggerEntry entry)
    {
        try
        {
            entry.FormatUtf8(_batch, _formatter);
            if (_formatter.WithLineBreak) _batch.Write(NewLine);
        }
        catch (Exception e)
        {
            // A line that cannot be formatted is skipped; the writer goes on. Type only: a message can quote input.
            _batch.Write(System.Text.Encoding.UTF8.GetBytes($"fail: ARouter.Logging[5000]\n      a log line could not be formatted ({e.GetType().Name})\n"));
        }
        finally
        {
            entry.Return();
        }
    }

    private void WriteBatch()
    {
        if (_batch.WrittenCount == 0) return;
        try
        {
            _output.Write(_batch.WrittenSpan);
            _output.Flush();
        }
        catch (IOException)
        {
            // stdout closed (the reading side went away): nothing more can be shown.
        }
        catch (ObjectDisposedException)
        {
        }
        _batch.ResetWrittenCount();
    }

    /// <summary>Writes every queued line, then stops the writer; waits at most <see cref="ConsoleLogOptions.StopTimeout"/> (stdout blocked).</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _hasLines.Set();
        _flushNow.Set();
        _thread.Join(_options.StopTimeout);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
